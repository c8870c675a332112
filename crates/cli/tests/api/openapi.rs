//! `GET /openapi.json`, generated from the route table.

use std::collections::HashSet;

use latchkey_testkit::TestApp;
use serde_json::Value;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_describes_exactly_the_routes_and_their_permissions() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], app.base);
    let flows = &doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"];
    assert_eq!(flows["tokenUrl"], app.url("/connect/token"));

    // Every operation carries its permission key; together they are exactly what a Reseller
    // token lists. The public operations (one-time-link passwords) take no token and carry
    // neither a permission nor a security requirement.
    let mut keys = HashSet::new();
    let mut ids = HashSet::new();
    let mut public = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let Some(key) = op["x-permission"].as_str() else {
                assert!(op.get("security").is_none(), "{method} {path}");
                public.push(format!("{method} {path}"));
                continue;
            };
            assert!(keys.insert(key.to_owned()), "duplicate {key}");
            assert!(
                ids.insert(op["operationId"].as_str().expect("operationId").to_owned()),
                "duplicate operationId at {method} {path}"
            );
            assert!(op["summary"].is_string(), "{method} {path}");
        }
    }
    let token: Value = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await
        .json()
        .await
        .expect("json");
    let granted: HashSet<String> = token["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("p").to_owned())
        .collect();
    assert_eq!(keys, granted);
    assert!(keys.contains("companies/clients|POST"));
    public.sort();
    assert_eq!(
        public,
        [
            "post /api/system-users/create-password",
            "post /api/system-users/reset-password"
        ]
    );

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(schemas.contains_key(name), "unresolved {r}");
    }
    assert!(!all.is_empty());

    // The company form is documented as the contract's multipart form, logo file included.
    let form = |path: &str, method: &str| {
        let schema = &doc["paths"][path][method]["requestBody"]["content"]["multipart/form-data"]["schema"]
            ["$ref"];
        let name = schema
            .as_str()
            .expect("a multipart form")
            .rsplit('/')
            .next()
            .expect("name");
        schemas[name].clone()
    };
    let create = form("/api/companies", "post");
    let mut required: Vec<&str> = create["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort_unstable();
    assert_eq!(
        required,
        [
            "CountryResourceId",
            "DateFormat",
            "IndustryResourceId",
            "LicensePeriodTypeResourceId",
            "LicenseTypeResourceId",
            "Name",
            "NumberOfUsers",
            "TimeFormat",
            "TimeZoneId"
        ]
    );
    assert_eq!(create["properties"]["File"]["format"], "binary", "{create}");
    let update = form("/api/companies/{resourceId}", "put");
    assert!(update.get("required").is_none(), "{update}");
    assert!(
        update["properties"]["LogoUrl"].is_object()
            && update["properties"]["BaseManHour"].is_null()
    );
}

#[tokio::test]
async fn an_independent_validator_accepts_the_document() {
    let app = TestApp::spawn().await;
    let python = std::env::var("LATCHKEY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = latchkey_testkit::python_check_script().with_file_name("openapi_check.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .env("BASE_URL", &app.base)
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document (run via scripts/test for its virtualenv):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/docs")).send().await.expect("r");
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets: {html}"
    );
    for (path, at_least) in [
        ("/docs/swagger-ui-bundle.js", 1_000_000),
        ("/docs/swagger-ui-standalone-preset.js", 100_000),
        ("/docs/swagger-ui.css", 100_000),
        ("/docs/swagger-initializer.js", 100),
    ] {
        assert!(html.contains(path), "{path} is linked");
        let r = app.http.get(app.url(path)).send().await.expect("r");
        assert_eq!(r.status(), 200, "{path}");
        let len = r.bytes().await.expect("body").len();
        assert!(len >= at_least, "{path}: {len} bytes");
    }
    let init = app
        .http
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .expect("r")
        .text()
        .await
        .expect("js");
    assert!(init.contains("\"/openapi.json\""));
    // Compressed on request.
    let r = app
        .http
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("r");
    assert_eq!(r.headers()["content-encoding"], "gzip");
}
