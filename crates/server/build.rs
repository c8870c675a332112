//! Records the git commit the server is built from, for `GET /api/system-info/version`.
//!
//! `LATCHKEY_GIT_COMMIT` wins (for builds from a source archive, which has no repository);
//! otherwise `git` is asked. When neither answers (no git, no `.git`, a bare export) the
//! commit is left out: this script never fails a build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LATCHKEY_GIT_COMMIT");
    let commit = std::env::var("LATCHKEY_GIT_COMMIT")
        .ok()
        .or_else(commit_from_git)
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric()));
    if let Some(commit) = commit {
        println!("cargo:rustc-env=LATCHKEY_BUILD_COMMIT={commit}");
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn commit_from_git() -> Option<String> {
    let commit = git(&["rev-parse", "--verify", "HEAD"])?;
    // Build again when HEAD moves. HEAD's reflog grows with every commit, checkout and reset
    // of this worktree; without reflogs, the HEAD file and the branch's ref (loose or
    // packed) tell. Only files that exist are named: cargo would rebuild every time for one
    // that does not.
    let mut watched = vec![
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "logs/HEAD"]),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ];
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &r]));
    }
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(commit)
}
