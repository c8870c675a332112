//! The master key, and what is derived from it.
//!
//! One 32-byte master key, kept outside the database (a file in the data directory, or
//! configuration), yields two independent sub-keys: one digests client secrets, one seals
//! signing keys with AES-256-GCM. A copy of the database alone therefore yields neither
//! usable secrets nor signing keys.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use latchkey_domain::secret::SecretHasher;

pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// The configured key (hex), or the key file in the data directory, created on first use
    /// with mode 0600.
    pub fn load_or_create(configured: &str, data_dir: &Path) -> anyhow::Result<Self> {
        if !configured.is_empty() {
            return Self::from_hex(configured).context("master_key must be 64 hex characters");
        }
        let path = data_dir.join("master.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            return Self::from_hex(text.trim())
                .with_context(|| format!("{} must hold 64 hex characters", path.display()));
        }
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private_file(&path, hex.as_bytes())?;
        Ok(Self(key))
    }

    fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(key))
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &self.0),
            label.as_bytes(),
        );
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    pub fn secret_hasher(&self) -> SecretHasher {
        SecretHasher::new(&self.derive("latchkey client-secret digest v1"))
    }

    /// Digests console session tokens (and derives their CSRF tokens).
    pub fn session_hasher(&self) -> SecretHasher {
        SecretHasher::new(&self.derive("latchkey console-session digest v1"))
    }

    /// Digests SCIM integration bearer tokens.
    pub fn scim_hasher(&self) -> SecretHasher {
        SecretHasher::new(&self.derive("latchkey scim-token digest v1"))
    }

    pub fn sealer(&self) -> Sealer {
        Sealer {
            key: self.derive("latchkey signing-key seal v1"),
        }
    }
}

/// AES-256-GCM sealing: output is `nonce || ciphertext || tag`.
pub struct Sealer {
    key: [u8; 32],
}

impl Sealer {
    fn aead(&self) -> anyhow::Result<LessSafeKey> {
        let key = UnboundKey::new(&AES_256_GCM, &self.key)
            .map_err(|_| anyhow::anyhow!("bad AEAD key"))?;
        Ok(LessSafeKey::new(key))
    }

    pub fn seal(&self, plaintext: &[u8], context: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("random generator failed"))?;
        let mut data = plaintext.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Opens what [`Sealer::seal`] produced with the same `context`; fails on any change, or
    /// when the master key is not the one that sealed it.
    pub fn open(&self, sealed: &[u8], context: &str) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(sealed.len() > NONCE_LEN, "sealed data is too short");
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut data = body.to_vec();
        let plain = self
            .aead()?
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot open a sealed signing key: is this the master key it was sealed with?"
                )
            })?;
        Ok(plain.to_vec())
    }
}

/// Writes a file only its owner can read (created with mode 0600, never world-readable even
/// for an instant).
pub fn write_private_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let key = MasterKey([7u8; 32]);
        let sealer = key.sealer();
        let sealed = sealer.seal(b"private key", "kid-1").expect("seal");
        assert_eq!(sealer.open(&sealed, "kid-1").expect("open"), b"private key");
        assert!(
            sealer.open(&sealed, "kid-2").is_err(),
            "bound to its context"
        );
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(sealer.open(&bad, "kid-1").is_err());
        assert!(
            MasterKey([8u8; 32])
                .sealer()
                .open(&sealed, "kid-1")
                .is_err()
        );
    }
}
