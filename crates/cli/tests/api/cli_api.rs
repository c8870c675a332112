//! `latchkey api …`: the real binary against a real server, configured by the environment, a
//! profile file and flags, each run with a home of its own.

use std::path::Path;
use std::process::Output;

use latchkey_client::Method;
use latchkey_testkit::TestApp;
use serde_json::Value;

use crate::helpers::{api_client, api_client_for, binary, create_company};

/// A user of the command line: a home folder, and the variables they have set.
struct User {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "failed: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts a failure with exit status 1 and returns stderr.
    fn failure(&self) -> &str {
        assert_eq!(self.code, Some(1), "expected a failure: {}", self.stdout);
        assert!(self.stderr.starts_with("error: "), "{}", self.stderr);
        &self.stderr
    }
}

impl User {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("home"),
            env: Vec::new(),
        }
    }

    /// A user whose environment names the server and the bootstrap reseller client.
    fn reseller(app: &TestApp) -> Self {
        Self::new()
            .with("LATCHKEY_URL", &app.base)
            .with("LATCHKEY_CLIENT_ID", &app.initial.client_id)
            .with("LATCHKEY_CLIENT_SECRET", &app.initial.client_secret)
    }

    fn with(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `latchkey api ARGS` (asynchronously: the server runs on this test's runtime).
    async fn api(&self, args: &[&str]) -> Run {
        let out: Output = tokio::process::Command::new(binary())
            .arg("api")
            .args(args)
            .env_clear()
            .env("HOME", self.home())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .await
            .expect("run latchkey api");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn token_is_cached_privately_and_call_prints_the_data() {
    let app = TestApp::spawn().await;
    let user = User::reseller(&app);
    let first = user.api(&["token"]).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let token = first.stdout.trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let again = user.api(&["token"]).await;
    assert_eq!(again.stdout.trim(), token, "the cached token is reused");

    let cache = user.home().join(".cache/latchkey/tokens.json");
    #[cfg(unix)]
    assert_eq!(mode(&cache), 0o600);
    let cached = std::fs::read_to_string(&cache).expect("cache");
    assert!(cached.contains(&token));
    assert!(
        !cached.contains(&app.initial.client_secret),
        "the cache holds no secret"
    );
    let described = user.api(&["token", "--json"]).await.json();
    assert_eq!(described["accessToken"], token.as_str());
    assert!(described["expiresAt"].as_u64().is_some());

    // The token works, and `call` prints the envelope's data.
    let my = user.api(&["call", "get", "/api/companies/my"]).await.json();
    assert_eq!(
        my[0]["resourceId"],
        app.initial.company_resource_id.as_str()
    );
    assert!(
        user.api(&["call", "GET", "/api/companies/my"])
            .await
            .stdout
            .contains("\n  "),
        "pretty JSON"
    );

    // A body from a file, and an export written to a file.
    let body = user.home().join("search.json");
    std::fs::write(&body, r#"{"pageNumber": 1, "pageSize": 5}"#).expect("write");
    let page = user
        .api(&[
            "call",
            "POST",
            "/api/companies/search",
            "--data",
            &format!("@{}", body.display()),
        ])
        .await
        .json();
    assert_eq!(page["pageSize"], 5);
    let csv = user.home().join("companies.csv");
    let run = user
        .api(&[
            "call",
            "POST",
            "/api/companies/search/export",
            "--data",
            r#"{"exportType": "Csv"}"#,
            "-o",
            &csv.display().to_string(),
        ])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&csv)
            .expect("csv")
            .contains("Company Name")
    );
}

/// `configure` for the bootstrap client, with the secret given by `secret`.
fn configure<'a>(app: &'a TestApp, secret: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "configure",
        "--url",
        &app.base,
        "--client-id",
        &app.initial.client_id,
    ];
    args.extend_from_slice(secret);
    args
}

#[tokio::test]
async fn configure_saves_a_private_profile_that_later_commands_read() {
    let app = TestApp::spawn().await;
    let user = User::new();
    let secret_file = user.home().join("secret");
    std::fs::write(&secret_file, format!("{}\n", app.initial.client_secret)).expect("write");

    let secret_path = secret_file.display().to_string();
    // Wrong credentials are not saved.
    let run = user
        .api(&configure(&app, &["--client-secret", "wrong"]))
        .await;
    assert!(run.failure().contains("invalid_client"), "{}", run.stderr);
    let profile = user.home().join(".config/latchkey/profile.toml");
    assert!(!profile.exists());

    let run = user
        .api(&configure(
            &app,
            &[
                "--client-secret-file",
                &secret_path,
                "--auth-method",
                "basic",
            ],
        ))
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    #[cfg(unix)]
    {
        assert_eq!(mode(&profile), 0o600);
        assert_eq!(mode(profile.parent().expect("folder")), 0o700);
    }
    let text = std::fs::read_to_string(&profile).expect("profile");
    assert!(text.contains("client_secret_basic"), "{text}");

    // Nothing in the environment: the profile is enough.
    let version = user
        .api(&["call", "GET", "/api/system-info/version"])
        .await
        .json();
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));

    // A profile others may read is still used, with a warning.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let run = user.api(&["token"]).await;
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stderr.contains("readable by others"), "{}", run.stderr);
    }

    // --profile names another file, which configure creates; flags win over it.
    let elsewhere = user.home().join("work.toml");
    let run = user
        .api(&configure(
            &app,
            &[
                "--profile",
                &elsewhere.display().to_string(),
                "--client-secret-file",
                &secret_path,
            ],
        ))
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    #[cfg(unix)]
    assert_eq!(mode(&elsewhere), 0o600);
    std::fs::remove_file(&profile).expect("remove");
    let info = user
        .api(&["--profile", &elsewhere.display().to_string(), "info"])
        .await
        .json();
    assert_eq!(
        info["company"]["data"]["resourceId"],
        app.initial.company_resource_id.as_str()
    );
    let run = user
        .api(&[
            "call",
            "GET",
            "/api/companies/my",
            "--profile",
            &elsewhere.display().to_string(),
            "--client-secret",
            "wrong",
        ])
        .await;
    assert!(run.failure().contains("invalid_client"), "{}", run.stderr);

    // A missing setting is named.
    let run = User::new().api(&["token"]).await;
    assert!(run.failure().contains("LATCHKEY_URL"), "{}", run.stderr);
}

#[tokio::test]
async fn failures_exit_non_zero_with_the_servers_message() {
    let app = TestApp::spawn().await;
    for method in ["post", "basic"] {
        let user = User::reseller(&app)
            .with("LATCHKEY_CLIENT_SECRET", "not-the-secret")
            .with("LATCHKEY_AUTH_METHOD", method);
        let run = user.api(&["call", "GET", "/api/companies/my"]).await;
        assert!(run.failure().contains("invalid_client"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }

    let user = User::reseller(&app);
    let run = user
        .api(&["call", "POST", "/api/companies/clients", "--data", "{}"])
        .await;
    let stderr = run.failure();
    assert!(stderr.contains("INPUT_ERROR (HTTP 400)"), "{stderr}");
    assert!(stderr.contains("  - Role should be selected"), "{stderr}");

    let run = user
        .api(&["call", "GET", "/api/companies/NoSuchCompny"])
        .await;
    assert!(
        run.failure().contains("NOT_FOUND (HTTP 404)"),
        "{}",
        run.stderr
    );

    let run = user
        .api(&["call", "POST", "/api/companies/search", "--data", "{nope"])
        .await;
    assert!(
        run.failure().contains("--data is not JSON"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn companies_search_export_and_clients_create() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let acme = create_company(&app, "Acme Corp", Some(&mine), false);
    create_company(&app, "Globex", Some(&mine), false);
    let user = User::reseller(&app);

    let run = user.api(&["companies", "search", "--text", "acme"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.starts_with("NAME"), "{}", run.stdout);
    assert!(run.stdout.contains("Acme Corp") && run.stdout.contains(&acme));
    assert!(!run.stdout.contains("Globex"), "{}", run.stdout);
    let page = user
        .api(&["companies", "search", "--json", "--page-size", "1"])
        .await
        .json();
    assert_eq!(page["results"].as_array().map(Vec::len), Some(1));
    assert!(page["totalNumberOfRecords"].as_i64() >= Some(2));

    let file = user.home().join("acme.csv");
    let run = user
        .api(&[
            "companies",
            "export",
            "--text",
            "acme",
            "--output",
            &file.display().to_string(),
        ])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let csv = std::fs::read_to_string(&file).expect("csv");
    assert!(csv.starts_with("Company Name") || csv.starts_with("\u{feff}Company Name"));
    assert!(
        csv.contains("Acme Corp") && !csv.contains("Globex"),
        "{csv}"
    );

    // A client of the customer, with the default role: its secret works once printed.
    let created = user
        .api(&[
            "clients",
            "create",
            "--company",
            &acme,
            "--name",
            "Acme SIEM",
        ])
        .await
        .json();
    let secret = created["clientSecret"].as_str().expect("secret");
    let id = created["clientId"].as_str().expect("id");
    assert_eq!(created["tokenUrl"], app.url("/connect/token"));
    app.await_client_view().await;
    let theirs = api_client_for(&app, id, secret);
    let my: Value = theirs
        .call(Method::GET, "/api/companies/my", None, ())
        .await
        .expect("companies/my");
    assert_eq!(my[0]["resourceId"], acme.as_str());
    let e = theirs
        .call::<Value>(Method::POST, "/api/companies/search", None, ())
        .await
        .expect_err("a Company Admin does not search companies");
    assert_eq!(e.http_status(), Some(403));

    let run = user
        .api(&["clients", "create", "--name", "x", "--role", "Janitor"])
        .await;
    let stderr = run.failure();
    assert!(
        stderr.contains("Janitor") && stderr.contains("Company Admin"),
        "{stderr}"
    );
}

#[tokio::test]
async fn onboard_creates_a_company_and_its_company_admin_client() {
    let app = TestApp::spawn().await;
    let user = User::reseller(&app);
    let onboard = |name: &'static str, country: &'static str, extra: &'static [&'static str]| {
        let mut args = vec![
            "onboard",
            "--name",
            name,
            "--country",
            country,
            "--industry",
            "Technology",
            "--license-type",
            "Standard",
            "--license-period",
            "yearly",
        ];
        args.extend_from_slice(extra);
        args
    };

    let handover = user
        .api(&onboard(
            "Initech",
            "us",
            &["--users", "25", "--allow-ip", "127.0.0.1"],
        ))
        .await
        .json();
    let company = handover["company"]["resourceId"].as_str().expect("company");
    assert_eq!(handover["company"]["name"], "Initech");
    assert_eq!(handover["tokenUrl"], app.url("/connect/token"));
    assert_eq!(handover["role"], "Company Admin");
    assert!(handover.get("scim").is_none());
    app.await_client_view().await;
    let customer = api_client_for(
        &app,
        handover["clientId"].as_str().expect("id"),
        handover["clientSecret"].as_str().expect("secret"),
    );
    let summary = customer.system_summary(None).await.expect("summary");
    let details = summary.company.data.expect("company");
    assert_eq!(details.resource_id, company);
    assert_eq!(details.country_code.as_deref(), Some("US"));
    assert!(details.time_zone_id.is_some(), "the country's zone");
    let license = summary.company_license.data.expect("licence");
    assert_eq!(license.check.license_limit, 25);
    assert_eq!(license.license_type_name.as_deref(), Some("Standard"));

    // The server's validation message comes through, and nothing is created.
    let run = user
        .api(&onboard(
            "Hooli",
            "United States",
            &["--license-end", "someday"],
        ))
        .await;
    let stderr = run.failure();
    assert!(
        stderr.contains("INPUT_ERROR") && stderr.contains("LicenseEndDate"),
        "{stderr}"
    );
    let run = user.api(&onboard("Hooli", "Narnia", &[])).await;
    assert!(run.failure().contains("Narnia"), "{}", run.stderr);

    // With --scim, the customer also gets a SCIM integration: its base URL and a token that
    // the SCIM service accepts.
    let handover = user
        .api(&onboard("Vandelay", "us", &["--scim", "Entra ID"]))
        .await
        .json();
    let base = handover["scim"]["baseUrl"].as_str().expect("baseUrl");
    assert_eq!(base, app.url("/scim/v2"));
    let listed = app
        .http
        .get(format!("{base}/Users"))
        .bearer_auth(handover["scim"]["token"].as_str().expect("token"))
        .send()
        .await
        .expect("SCIM request");
    assert_eq!(listed.status().as_u16(), 200);
    let reseller = api_client(&app, &app.reseller_token().await);
    let names: Vec<String> = reseller
        .companies_search(None, &Default::default())
        .await
        .expect("search")
        .results
        .into_iter()
        .map(|c| c.company_name)
        .collect();
    assert!(names.contains(&"Initech".to_owned()), "{names:?}");
    assert!(
        names.contains(&"Vandelay".to_owned()) && !names.iter().any(|n| n == "Hooli"),
        "{names:?}"
    );
}

const PEOPLE: &str = "Email,First Name,last_name,Notes\n\
ann@example.com,Ann,Lee,first\n\
bob@example.com,Bob,Roe,second\n\
not-an-address,Bad,Row,third\n";

#[tokio::test]
async fn target_users_import_runs_both_jobs_to_the_end() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let user = User::reseller(&app);
    let file = user.home().join("people.csv");
    std::fs::write(&file, PEOPLE).expect("write");
    let path = file.display().to_string();
    let reseller = api_client(&app, &app.reseller_token().await);
    let count = || async {
        let page: Value = reseller
            .call(
                Method::POST,
                "/api/target-users/search",
                Some(&customer),
                serde_json::json!({}),
            )
            .await
            .expect("search");
        page["totalNumberOfRecords"].as_i64().expect("total")
    };

    let dry = user
        .api(&[
            "target-users",
            "import",
            &path,
            "--company",
            &customer,
            "--dry-run",
        ])
        .await;
    let summary = dry.json();
    assert_eq!(summary["newUserCount"], 2);
    assert_eq!(summary["invalidUserCount"], 1);
    assert_eq!(summary["ignoredColumns"], serde_json::json!(["Notes"]));
    assert!(summary.get("job").is_none());
    assert!(dry.stderr.contains("not-an-address"), "{}", dry.stderr);
    assert_eq!(count().await, 0, "a dry run imports nothing");

    let run = user
        .api(&["target-users", "import", &path, "--company", &customer])
        .await;
    let summary = run.json();
    assert_eq!(summary["newUserCount"], 2);
    assert_eq!(summary["job"]["status"], "Finished");
    assert!(run.stderr.contains("checking rows: 3/3"), "{}", run.stderr);
    assert!(run.stderr.contains("importing: 100/100"), "{}", run.stderr);
    assert_eq!(count().await, 2);

    // Again: the same people now exist and are updated, not added.
    let summary = user
        .api(&["target-users", "import", &path, "--company", &customer])
        .await
        .json();
    assert_eq!(summary["existingUserCount"], 2);
    assert_eq!(count().await, 2);

    // Another reseller's customer is out of reach.
    let other = create_company(&app, "Other MSSP", None, true);
    let theirs = create_company(&app, "Their customer", Some(&other), false);
    let run = user
        .api(&["target-users", "import", &path, "--company", &theirs])
        .await;
    assert!(run.failure().contains("FORBIDDEN"), "{}", run.stderr);
}
