//! `/api/custom-fields` and custom field values on target users.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, expect_data, expect_envelope};
use crate::target_users::{create_user, get_user};

async fn create_field(app: &TestApp, token: &str, body: Value) -> String {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/custom-fields",
            token,
            None,
            Some(body),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

async fn company_fields(app: &TestApp, token: &str) -> Value {
    expect_data(
        call(
            app,
            Method::GET,
            "/api/custom-fields/company",
            token,
            None,
            None,
        )
        .await,
    )
    .await
}

fn names(fields: &Value) -> Vec<String> {
    fields
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

/// `{name: value}` of a user's custom field values.
fn values(user: &Value) -> serde_json::Map<String, Value> {
    user["customFieldValues"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_owned(),
                v["value"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn fields_are_created_listed_read_and_updated() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let office = create_field(
        &app,
        &token,
        json!({"name": "Office", "ownerType": "targetuser", "fieldDataType": "TEXT",
               "isRequired": true, "sortOrder": 2}),
    )
    .await;
    let floor = create_field(
        &app,
        &token,
        json!({"Name": "Floor", "OwnerType": "TargetUser", "FieldDataType": "Number", "SortOrder": 1}),
    )
    .await;
    assert_eq!(
        names(&company_fields(&app, &token).await),
        ["Floor", "Office"]
    );
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/custom-fields/{office}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        dto,
        json!({"resourceId": office, "name": "Office", "ownerType": "TargetUser",
               "fieldDataType": "Text", "targetGroupResourceId": null, "isActive": true,
               "sortOrder": 2, "isRequired": true, "isEditable": true})
    );
    // Names are unique ignoring case.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(json!({"name": "OFFICE", "ownerType": "TargetUser", "fieldDataType": "Text"})),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/custom-fields/{floor}"),
            &token,
            None,
            Some(json!({"resourceId": floor, "name": "office", "fieldDataType": "Number"})),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    // An update keeps what it leaves out.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/custom-fields/{office}"),
            &token,
            None,
            Some(json!({"resourceId": office, "name": "Site", "fieldDataType": "Text", "isActive": false})),
        )
        .await,
    )
    .await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/custom-fields/{office}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            &dto["name"],
            &dto["isActive"],
            &dto["isRequired"],
            &dto["sortOrder"]
        ),
        (&json!("Site"), &json!(false), &json!(true), &json!(2))
    );
    for (body, says) in [
        (
            json!({"name": "", "ownerType": "TargetUser", "fieldDataType": "Text"}),
            "between 1 and 64",
        ),
        (
            json!({"name": "x".repeat(65), "ownerType": "TargetUser", "fieldDataType": "Text"}),
            "between 1 and 64",
        ),
        (
            json!({"name": "A", "ownerType": "Company", "fieldDataType": "Text"}),
            "ownerType 'Company' is not one of: TargetUser, TargetGroup",
        ),
        (
            json!({"name": "A", "ownerType": "TargetUser", "fieldDataType": "Money"}),
            "fieldDataType 'Money' is not one of: Text, Number, Date, Boolean",
        ),
        (
            json!({"name": "A", "fieldDataType": "Text"}),
            "ownerType is required",
        ),
        (
            json!({"name": "A", "ownerType": "TargetGroup", "fieldDataType": "Text"}),
            "targetGroupResourceId is required",
        ),
        (
            json!({"name": "A", "ownerType": "TargetUser", "fieldDataType": "Text", "targetGroupResourceId": "xC5kfGz7w2Nz"}),
            "applies only to a TargetGroup field",
        ),
    ] {
        let body = expect_envelope(
            call(
                &app,
                Method::POST,
                "/api/custom-fields",
                &token,
                None,
                Some(body),
            )
            .await,
            400,
            "INPUT_ERROR",
        )
        .await;
        assert!(
            body["validationMessages"].to_string().contains(says),
            "{says}: {body}"
        );
    }
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(json!({"name": "A", "ownerType": "TargetGroup", "fieldDataType": "Text", "targetGroupResourceId": "xC5kfGz7w2Nz"})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::GET,
            "/api/custom-fields/groups/xC5kfGz7w2Nz",
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        names(&company_fields(&app, &token).await),
        ["Floor", "Site"]
    );
}

#[tokio::test]
async fn values_are_typed_and_required_fields_enforced() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let office = create_field(
        &app,
        &token,
        json!({"name": "Office", "ownerType": "TargetUser", "fieldDataType": "Text", "isRequired": true}),
    )
    .await;
    for (name, kind) in [
        ("Floor", "Number"),
        ("Hired", "Date"),
        ("Remote", "Boolean"),
    ] {
        create_field(
            &app,
            &token,
            json!({"name": name, "ownerType": "TargetUser", "fieldDataType": kind}),
        )
        .await;
    }
    // A required field must have a value, by resource id or by name.
    let missing = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(json!({"email": "a@example.com"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        missing["validationMessages"]
            .to_string()
            .contains("Custom field Office is required"),
        "{missing}"
    );
    let bad = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(json!({"email": "a@example.com", "customFields": [
                {"resourceId": office, "value": " "},
                {"name": "floor", "value": "third"},
                {"name": "Hired", "value": "23/11/2026"},
                {"name": "Remote", "value": "maybe"}]})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let messages = bad["validationMessages"].to_string();
    for says in [
        "Custom field Office is required",
        "Custom field Floor (Number): 'third' is not a number",
        "Custom field Hired (Date): '23/11/2026' is not a date",
        "Custom field Remote (Boolean): 'maybe' is not true or false",
    ] {
        assert!(messages.contains(says), "{says} in {messages}");
    }
    let id = create_user(
        &app,
        &token,
        None,
        json!({"email": "a@example.com", "customFields": [
            {"resourceId": office, "value": "HQ"},
            {"name": "Floor", "value": "3.50"},
            {"name": "Hired", "timestampValue": "2026-11-23T03:00:00+02:00"},
            {"name": "REMOTE", "value": "yes"}]}),
    )
    .await;
    let user = get_user(&app, &token, None, &id).await;
    assert_eq!(
        Value::Object(values(&user)),
        json!({"Office": "HQ", "Floor": "3.5", "Hired": "2026-11-23T01:00:00.000Z", "Remote": "true"})
    );
    let hired = user["customFieldValues"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["name"] == "Hired")
        .expect("Hired")
        .clone();
    assert_eq!(
        (&hired["dataType"], &hired["timestampValue"]),
        (&json!("Date"), &json!("2026-11-23T01:00:00.000Z"))
    );
    // An update leaves the fields it does not name, clears those it empties, and may not clear
    // a required one.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(
                json!({"email": "a@example.com", "customFields": [{"name": "Floor", "value": ""}]}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(
        Value::Object(values(&get_user(&app, &token, None, &id).await)),
        json!({"Office": "HQ", "Hired": "2026-11-23T01:00:00.000Z", "Remote": "true"})
    );
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(json!({"email": "a@example.com", "customFields": [{"name": "Office", "value": ""}]})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    // A field that became required later is enforced on the next write of each user.
    let badge = create_field(
        &app,
        &token,
        json!({"name": "Badge", "ownerType": "TargetUser", "fieldDataType": "Number", "isRequired": true}),
    )
    .await;
    let later = expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(json!({"email": "a@example.com", "firstName": "Ann"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        later["validationMessages"]
            .to_string()
            .contains("Custom field Badge is required (a@example.com has no value)"),
        "{later}"
    );
    assert_eq!(
        get_user(&app, &token, None, &id).await["firstName"],
        Value::Null
    );
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(json!({"email": "a@example.com", "firstName": "Ann",
                        "customFields": [{"resourceId": badge, "value": "7"}]})),
        )
        .await,
    )
    .await;
    // The search lists the values too.
    let page = crate::target_users::search(&app, &token, None, json!({})).await;
    assert_eq!(
        Value::Object(values(&page["results"][0])),
        json!({"Office": "HQ", "Hired": "2026-11-23T01:00:00.000Z", "Remote": "true", "Badge": "7"})
    );
}

#[tokio::test]
async fn a_new_data_type_converts_the_values_or_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let code = create_field(
        &app,
        &token,
        json!({"name": "Code", "ownerType": "TargetUser", "fieldDataType": "Text"}),
    )
    .await;
    let a = create_user(
        &app,
        &token,
        None,
        json!({"email": "a@example.com", "customFields": [{"name": "Code", "value": "012.50"}]}),
    )
    .await;
    let b = create_user(
        &app,
        &token,
        None,
        json!({"email": "b@example.com", "customFields": [{"name": "Code", "value": "A7"}]}),
    )
    .await;
    let to_number = json!({"resourceId": code, "name": "Code", "fieldDataType": "Number"});
    let refused = expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/custom-fields/{code}"),
            &token,
            None,
            Some(to_number.clone()),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        refused["validationMessages"].to_string().contains(
            "Custom field Code cannot become Number: 1 of its values are not (such as 'A7')"
        ),
        "{refused}"
    );
    assert_eq!(
        values(&get_user(&app, &token, None, &a).await)["Code"],
        "012.50"
    );
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{b}"),
            &token,
            None,
            Some(
                json!({"email": "b@example.com", "customFields": [{"name": "Code", "value": "7"}]}),
            ),
        )
        .await,
    )
    .await;
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/custom-fields/{code}"),
            &token,
            None,
            Some(to_number),
        )
        .await,
    )
    .await;
    assert_eq!(
        values(&get_user(&app, &token, None, &a).await)["Code"],
        "12.5"
    );
    assert_eq!(values(&get_user(&app, &token, None, &b).await)["Code"], "7");
}

#[tokio::test]
async fn bulk_update_makes_the_list_the_companys_fields_all_or_nothing() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let keep = create_field(
        &app,
        &token,
        json!({"name": "Keep", "ownerType": "TargetUser", "fieldDataType": "Text"}),
    )
    .await;
    let drop = create_field(
        &app,
        &token,
        json!({"name": "Drop", "ownerType": "TargetUser", "fieldDataType": "Text"}),
    )
    .await;
    let user = create_user(
        &app,
        &token,
        None,
        json!({"email": "a@example.com", "customFields": [
            {"resourceId": keep, "value": "k"}, {"resourceId": drop, "value": "d"}]}),
    )
    .await;
    let bulk = |items: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            call(
                app,
                Method::POST,
                "/api/custom-fields/bulk-update",
                &token,
                None,
                Some(json!({"targetUserCustomFields": items})),
            )
            .await
        }
    };
    // Refused as a whole: a duplicate name, a bad item, an unknown id.
    expect_envelope(
        bulk(json!([
            {"resourceId": keep, "name": "Same", "ownerType": "TargetUser", "fieldDataType": "Text"},
            {"name": "same", "ownerType": "TargetUser", "fieldDataType": "Number"}])).await,
        409,
        "CONFLICT",
    )
    .await;
    expect_envelope(
        bulk(json!([{"name": "New", "ownerType": "TargetUser", "fieldDataType": "Colour"}])).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    expect_envelope(
        bulk(json!([{"resourceId": "xC5kfGz7w2Nz", "name": "X", "fieldDataType": "Text"}])).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(names(&company_fields(&app, &token).await), ["Drop", "Keep"]);

    // Renamed, created, deleted: names may even swap.
    let done = expect_data(
        bulk(json!([
            {"resourceId": keep, "name": "Drop", "fieldDataType": "Text", "sortOrder": 1},
            {"name": "Keep", "ownerType": "TargetUser", "fieldDataType": "Boolean", "sortOrder": 2}]))
        .await,
    )
    .await;
    assert_eq!(done["resourceId"], "2");
    let fields = company_fields(&app, &token).await;
    assert_eq!(names(&fields), ["Drop", "Keep"]);
    assert_eq!(fields[0]["resourceId"], keep);
    assert_eq!(fields[1]["fieldDataType"], "Boolean");
    assert_eq!(
        Value::Object(values(&get_user(&app, &token, None, &user).await)),
        json!({"Drop": "k"})
    );
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/custom-fields/{drop}"),
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    // An empty list deletes them all.
    expect_data(bulk(json!([])).await).await;
    assert_eq!(company_fields(&app, &token).await, json!([]));
}

#[tokio::test]
async fn a_group_field_is_listed_with_its_group_and_required_of_its_members() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let other = crate::helpers::create_company(&app, "Other", Some(&mine), false);
    let sales = crate::target_users::insert_group(&app, &mine, "Sales").await;
    let theirs = crate::target_users::insert_group(&app, &other, "Theirs").await;
    create_field(
        &app,
        &token,
        json!({"name": "Office", "ownerType": "TargetUser", "fieldDataType": "Text"}),
    )
    .await;
    let quota = create_field(
        &app,
        &token,
        json!({"name": "Quota", "ownerType": "TargetGroup", "fieldDataType": "Number",
               "targetGroupResourceId": sales, "isRequired": true}),
    )
    .await;
    let listed = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/custom-fields/groups/{sales}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(names(&listed), ["Quota"]);
    assert_eq!(
        (&listed[0]["ownerType"], &listed[0]["targetGroupResourceId"]),
        (&json!("TargetGroup"), &json!(sales))
    );
    assert_eq!(
        names(&company_fields(&app, &token).await),
        ["Office", "Quota"]
    );

    // Required of the group's members only.
    create_user(&app, &token, None, json!({"email": "outside@example.com"})).await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(json!({"email": "member@example.com", "targetGroupResourceIds": [sales]})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    create_user(
        &app,
        &token,
        None,
        json!({"email": "member@example.com", "targetGroupResourceIds": [sales],
               "customFields": [{"resourceId": quota, "value": "10"}]}),
    )
    .await;

    // Another company's group: 404, for a new field, a moved one and the group list.
    for (method, path, body) in [
        (
            Method::POST,
            "/api/custom-fields".to_owned(),
            Some(
                json!({"name": "X", "ownerType": "TargetGroup", "fieldDataType": "Text",
                        "targetGroupResourceId": theirs}),
            ),
        ),
        (
            Method::PUT,
            format!("/api/custom-fields/{quota}"),
            Some(
                json!({"name": "Quota", "fieldDataType": "Number", "targetGroupResourceId": theirs}),
            ),
        ),
        (
            Method::GET,
            format!("/api/custom-fields/groups/{theirs}"),
            None,
        ),
    ] {
        expect_envelope(
            call(&app, method, &path, &token, None, body).await,
            404,
            "NOT_FOUND",
        )
        .await;
    }
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/custom-fields/{quota}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["targetGroupResourceId"], json!(sales));
}
