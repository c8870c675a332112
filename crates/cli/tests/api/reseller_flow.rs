//! The documented reseller flow (create-rest-api-client-for-customer), end to end over plain
//! HTTP from a fresh server, step by step as the platform's guide describes it.

use latchkey_testkit::{TestApp, jwt_parts};
use reqwest::Method;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, expect_data, expect_envelope};

#[tokio::test]
async fn create_a_rest_api_client_for_a_customer() {
    let app = TestApp::spawn().await;

    // 1. The bootstrap reseller credential gets a token.
    let reseller = app.reseller_token().await;

    // 2. Create the customer company.
    let r = reference(&app, &reseller).await;
    let created =
        expect_data(post_company(&app, &reseller, None, form(&r, "Acme Corp", 100)).await).await;
    let customer = created["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();

    // 3. It is listed by companies/search.
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &reseller,
            None,
            Some(
                json!({"pageNumber": 1, "pageSize": 20, "orderBy": "CreateTime", "ascending": false,
                    "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
            ),
        )
        .await,
    )
    .await;
    assert!(
        page["results"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|c| c["companyResourceId"] == customer.as_str()),
        "{page}"
    );

    // 4. The roles available in the customer's context.
    let roles = expect_data(
        call(
            &app,
            Method::GET,
            "/api/roles",
            &reseller,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    let admin_role = roles
        .as_array()
        .expect("roles")
        .iter()
        .find(|role| role["name"] == "Company Admin")
        .expect("Company Admin is offered")["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();

    // 5. Generate credentials in the customer's context.
    let creds = expect_data(
        call(
            &app,
            Method::GET,
            "/api/companies/clients/generate-client-credentials",
            &reseller,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    let (client_id, client_secret) = (
        creds["clientId"].as_str().expect("id").to_owned(),
        creds["clientSecret"].as_str().expect("secret").to_owned(),
    );

    // 6. Create the client.
    let body = json!({"name": "Acme SIEM", "clientId": client_id, "clientSecret": client_secret, "statusId": 1,
                      "hasIpAddressRestriction": false, "allowedIpAddresses": [], "roleResourceIdList": [admin_role]});
    let created = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients",
            &reseller,
            Some(&customer),
            Some(body),
        )
        .await,
    )
    .await;
    let client = created["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();

    // 7. Read it back: the secret is not returned.
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/clients/{client}"),
            &reseller,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["clientId"], client_id.as_str());
    assert!(dto["clientSecret"].is_null());

    // 8. clients/search with the minimal documented filter finds it.
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &reseller,
            Some(&customer),
            Some(
                json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
                    "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 1);
    assert_eq!(page["results"][0]["resourceId"], client.as_str());

    // 9. The new client gets its own token, naming the customer.
    let token_body: Value = app
        .token_post(&client_id, &client_secret)
        .await
        .json()
        .await
        .expect("json");
    let token = token_body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let claims = jwt_parts(&token).1;
    assert_eq!(claims["user_company_resourceid"], customer.as_str());
    assert_eq!(claims["user_company_name"], "Acme Corp");
    assert_eq!(claims["role"], "Company Admin");
    assert_eq!(claims["reseller_access"], false);

    // 10. It sees its own company, and is refused on another.
    let mine = expect_data(app.companies_my(&token).await).await;
    assert_eq!(mine[0]["resourceId"], customer.as_str());
    assert_eq!(mine.as_array().expect("rows").len(), 1);
    expect_envelope(
        call(
            &app,
            Method::GET,
            "/api/companies/my",
            &token,
            Some(&app.initial.company_resource_id),
            None,
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;

    // 11. Delete the client: its token is refused from the next call.
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/clients/{client}"),
            &reseller,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    expect_envelope(app.companies_my(&token).await, 401, "UNAUTHORIZED").await;
}
