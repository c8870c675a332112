//! `/api/system-users`: the people of a company who sign in to the console ("People").
//!
//! A user belongs to the company named by `companyResourceId` or `X-KEEPNET-Company-Id` (or
//! `X-IR-COMPANY-ID`, `?companyId=`), else the caller's own; reads by id look inside the
//! caller's reach, so another tenant's user is simply not found. Users hold roles as REST API
//! clients do, and the same rule as for custom roles keeps roles from being a way up: a caller
//! can neither give a role that grants something it does not hold, nor change, delete or take
//! roles from a user who holds more than it does.
//!
//! Passwords are set only through one-time links: a new user gets an invitation email with a
//! link to `create-password`, and `send-reset-password-link` mails one for `reset-password`.
//! Those two endpoints are called from the console's password page without a bearer token
//! ([`Tier::Public`]); the link's token is the credential. `change-password` and `settings` are
//! for a signed-in user and refuse REST API clients.
//!
//! [`Tier::Public`]: latchkey_domain::permission::Tier::Public

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use latchkey_domain::audit::{Actor, ActorKind};
use latchkey_domain::authz::{Caller, CompanyRef, CompanyScope, Principal, Reach, self_scope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::password::{OneTimeToken, Password, TokenPurpose};
use latchkey_domain::permission::PermissionSet;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_domain::user::{
    Email, STATUS_ACTIVE, STATUS_INACTIVE, parse_name, parse_phone, status_name,
};
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_proto::system_users::{
    AddToRoleRequest, ChangePasswordRequest, CreatePasswordServiceResult, CreateSystemUserRequest,
    PasswordWithTokenRequest, SendPasswordResetLinkRequest, SetSystemUserSettingsRequest,
    SystemUserDeleteRequest, SystemUserSearchDto, SystemUserSettingsDto, UpdateSystemUserRequest,
};
use latchkey_store::StoreError;
use latchkey_store::clients::RoleGrant;
use latchkey_store::system_users::{NewUser, UserChanges, UserRecord, UserSearchRow, UserSettings};

use super::export;
use super::json::JsonBody;
use crate::auth::bearer::Auth;
use crate::auth::client_ip::client_ip;
use crate::auth::password::{hash_password, verify_password};
use crate::auth::registry::grant;
use crate::auth::scope::{Reaching, TargetCompany};
use crate::error::{ApiError, ApiResult, ok};
use crate::mail::{Delivery, MailError, Recipient};
use crate::state::AppState;

const TAG: &str = "SystemUser";

/// What the response says when there is no mail server to send a link through.
fn no_mail_server(email: &str) -> String {
    format!(
        "No mail server is configured (smtp_url), so no email was sent. An operator can print a \
         set-password link with `latchkey admin user password-link --email {email}`."
    )
}

/// A success envelope with a message.
fn ok_with<T: serde::Serialize>(data: T, message: String) -> Json<ServiceResult<T>> {
    let mut body = ServiceResult::success(data);
    body.message = Some(message);
    Json(body)
}

/// Creates a user and emails them a link to set their password (valid for 7 days). Without
/// `roleResourceIdList` the user holds no role until one is added.
#[utoipa::path(post, path = "/api/system-users", tag = TAG, summary = "Create a new system user",
    request_body = CreateSystemUserRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    TargetCompany(target): TargetCompany,
    JsonBody(body): JsonBody<CreateSystemUserRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let named = match body
        .company_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => {
            let id = ResourceId::parse(raw).ok_or_else(|| {
                ApiError::input(vec![format!(
                    "companyResourceId '{raw}' is not a valid company id"
                )])
            })?;
            if target.as_ref().is_some_and(|t| t != &id) {
                return Err(ApiError::input(vec![
                    "companyResourceId and the company header name different companies".into(),
                ]));
            }
            Some(id)
        }
        None => target,
    };
    let scope = state.scope_or_own(&caller, named).await?;
    let is_root = is_root(&state, scope.company()).await?;
    let fields = Fields {
        first_name: body.first_name.as_deref(),
        last_name: body.last_name.as_deref(),
        email: body.email.as_deref(),
        phone_number: body.phone_number.as_deref(),
        status_id: body.status_id,
        roles: body.role_resource_id_list.as_deref(),
    };
    let valid = validate(&state, &caller, &scope, is_root, &fields, None).await?;
    let new = NewUser {
        first_name: valid.first_name,
        last_name: valid.last_name,
        email: valid.email,
        phone_number: Some(valid.phone_number),
        status_id: valid.status_id.unwrap_or(STATUS_ACTIVE),
        role_keys: valid.role_keys.unwrap_or_default(),
    };
    let (key, resource_id) = state.store.create_user(&scope, &new).await?;
    tracing::info!(user = %resource_id, company = %scope.company().resource_id, "system user created");
    let recipient = Recipient {
        first_name: &new.first_name,
        last_name: &new.last_name,
        email: new.email.as_str(),
    };
    let message = match send_link(&state, &scope, key, &recipient, TokenPurpose::Create).await {
        Ok(Ok(Delivery::Sent)) => format!(
            "The user was created and a link to set a password was sent to {}",
            new.email.as_str()
        ),
        Ok(Ok(Delivery::NotConfigured)) => format!(
            "The user was created. {}",
            no_mail_server(new.email.as_str())
        ),
        Err(_) => "The user was created, but no set-password link could be issued; send one \
                   with send-information-email"
            .to_owned(),
        Ok(Err(e)) => {
            tracing::warn!(user = %resource_id, error = %e, "invitation email failed");
            format!(
                "The user was created, but the email with the set-password link could not be \
                 sent ({e}); send it again with send-information-email"
            )
        }
    };
    Ok(ok_with(
        IdResult {
            resource_id: resource_id.to_string(),
        },
        message,
    ))
}

#[utoipa::path(put, path = "/api/system-users/{resourceId}", tag = TAG,
    summary = "Updates an existing system user",
    params(("resourceId" = String, Path)),
    request_body = UpdateSystemUserRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
    JsonBody(body): JsonBody<UpdateSystemUserRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &reach, &resource_id).await?;
    let scope = editable_scope(&state, &caller, &user)?;
    let fields = Fields {
        first_name: body.first_name.as_deref(),
        last_name: body.last_name.as_deref(),
        email: body.email.as_deref(),
        phone_number: body.phone_number.as_deref(),
        status_id: body.status_id,
        roles: body.role_resource_id_list.as_deref(),
    };
    let valid = validate(
        &state,
        &caller,
        &scope,
        user.company_is_root,
        &fields,
        Some(&user),
    )
    .await?;
    let changes = UserChanges {
        first_name: valid.first_name,
        last_name: valid.last_name,
        email: valid.email,
        phone_number: Some(valid.phone_number),
        status_id: valid.status_id.unwrap_or(user.status_id),
        role_keys: valid.role_keys,
    };
    state.store.update_user(&scope, user.key, &changes).await?;
    Ok(ok(IdResult {
        resource_id: user.resource_id.to_string(),
    }))
}

/// Deletes a user, irreversibly. Nobody can delete themselves.
#[utoipa::path(delete, path = "/api/system-users/{resourceId}", tag = TAG,
    summary = "Deletes an existing system user",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &reach, &resource_id).await?;
    if is_self(&caller, user.key) {
        return Err(ApiError::input(vec![
            "You cannot delete your own user".into(),
        ]));
    }
    let scope = editable_scope(&state, &caller, &user)?;
    let deleted = state
        .store
        .delete_users(&scope, &scope.as_reach(), &[user.key])
        .await?;
    if deleted == 0 {
        return Err(StoreError::NotFound.into());
    }
    tracing::info!(user = %user.resource_id, "system user deleted");
    Ok(ok(IdResult {
        resource_id: user.resource_id.to_string(),
    }))
}

/// Deletes the listed users, or with `selectAll` every user the filter matches in the caller's
/// reach (or the named company) except `excludedItems` and the caller. All or nothing: one
/// unknown or protected user refuses the whole request. `data.resourceId` is the count.
#[utoipa::path(delete, path = "/api/system-users/bulk-delete", tag = TAG,
    summary = "Bulk delete system user",
    request_body = SystemUserDeleteRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    JsonBody(body): JsonBody<SystemUserDeleteRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let mut keys = Vec::new();
    if body.select_all.unwrap_or(false) {
        let excluded = body.excluded_items.clone().unwrap_or_default();
        let matching = state
            .store
            .users_matching(&reach, body.filter.clone())
            .await?;
        let mut grants = state
            .store
            .user_role_grants(&matching.iter().map(|u| u.key).collect::<Vec<_>>())
            .await?;
        for row in matching {
            if excluded.contains(&row.resource_id) || is_self(&caller, row.key) {
                continue;
            }
            let roles = grants.remove(&row.key).unwrap_or_default();
            if let Some(key) =
                beyond_caller(&state, &caller, &roles, &row.company, row.company_is_root)
            {
                return Err(cannot_change(&row.email, &key));
            }
            keys.push(row.key);
        }
    } else {
        for id in body.items.iter().flatten() {
            let user = find(&state, &reach, id).await?;
            if is_self(&caller, user.key) {
                return Err(ApiError::input(vec![
                    "You cannot delete your own user".into(),
                ]));
            }
            editable_scope(&state, &caller, &user)?;
            keys.push(user.key);
        }
    }
    let deleted = state
        .store
        .delete_users(&caller.own_scope(), &reach, &keys)
        .await?;
    tracing::info!(count = deleted, "system users deleted in bulk");
    Ok(ok(IdResult {
        resource_id: deleted.to_string(),
    }))
}

/// Users of the named company, or of every company in the caller's reach.
#[utoipa::path(post, path = "/api/system-users/search", tag = TAG,
    summary = "Retrieves a list of system users",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<SystemUserSearchDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<SystemUserSearchDto>>>> {
    let (rows, total, page) = state.store.search_users(&reach, &request).await?;
    let mut grants = state
        .store
        .user_role_grants(&rows.iter().map(|r| r.key).collect::<Vec<_>>())
        .await?;
    let results = rows
        .into_iter()
        .map(|row| {
            let roles = grants.remove(&row.key).unwrap_or_default();
            let editable =
                beyond_caller(&state, &caller, &roles, &row.company, row.company_is_root).is_none();
            search_dto(row, editable)
        })
        .collect();
    Ok(ok(PagedResults::new(
        results,
        total,
        page.page_number,
        page.page_size,
    )))
}

const EXPORT_HEADERS: &[&str] = &[
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company",
    "Roles",
    "Status",
    "Date Created",
];

#[utoipa::path(post, path = "/api/system-users/search/export", tag = TAG,
    summary = "Exports the list of system users",
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state.store.export_users(&reach, &request)?.map(|row| {
        row.map(|r| {
            let dto = search_dto(r, false);
            vec![
                dto.first_name,
                dto.last_name,
                dto.email,
                dto.phone_number.unwrap_or_default(),
                dto.company_name,
                dto.roles.unwrap_or_default(),
                dto.status_name,
                dto.create_time,
            ]
        })
    });
    export::respond(format, "system-users", EXPORT_HEADERS, rows).await
}

/// Gives the user a role available to their company.
#[utoipa::path(post, path = "/api/system-users/{resourceId}/role", tag = TAG,
    summary = "Add system user to a role",
    params(("resourceId" = String, Path)),
    request_body = AddToRoleRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn add_role(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
    JsonBody(body): JsonBody<AddToRoleRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    if let Some(named) = body
        .user_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        && named != resource_id.trim()
    {
        return Err(ApiError::input(vec![
            "userResourceId must be the user of the path".into(),
        ]));
    }
    let role = body
        .role_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::input(vec!["Role should be selected".into()]))?
        .to_owned();
    let user = find(&state, &reach, &resource_id).await?;
    let scope = editable_scope(&state, &caller, &user)?;
    let keys = match state
        .store
        .roles_available_to(&scope, std::slice::from_ref(&role))
        .await?
    {
        Ok(keys) => keys,
        Err(_) => {
            return Err(ApiError::input(vec![format!(
                "Role {role} is not available to this company"
            )]));
        }
    };
    let grants = state.store.role_grants(&keys).await?;
    if let Some(problem) = roles_beyond_caller(
        &state,
        &caller,
        &grants,
        scope.company(),
        user.company_is_root,
    ) {
        return Err(ApiError::input(vec![problem]));
    }
    for key in keys {
        state.store.add_user_role(&scope, user.key, key).await?;
    }
    Ok(ok(IdResult {
        resource_id: user.resource_id.to_string(),
    }))
}

#[utoipa::path(delete, path = "/api/system-users/{userResourceId}/role/{roleResourceId}", tag = TAG,
    summary = "Removes system user from role",
    params(("userResourceId" = String, Path), ("roleResourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn remove_role(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path((user_id, role_id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &reach, &user_id).await?;
    let scope = editable_scope(&state, &caller, &user)?;
    let role = user
        .roles
        .iter()
        .find(|r| r.resource_id == role_id.trim())
        .ok_or_else(|| {
            ApiError::not_found(format!("The user does not hold role {}", role_id.trim()))
        })?;
    state
        .store
        .remove_user_role(&scope, user.key, role.key)
        .await?;
    Ok(ok(IdResult {
        resource_id: user.resource_id.to_string(),
    }))
}

/// Emails a user of the caller's reach (or the named company) a link to reset their password,
/// valid for one hour and once. Earlier links of the user stop working.
#[utoipa::path(post, path = "/api/system-users/send-reset-password-link", tag = TAG,
    summary = "Sends a password reset link to user's email address",
    request_body = SendPasswordResetLinkRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn send_reset_link(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    JsonBody(body): JsonBody<SendPasswordResetLinkRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let email = body
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::input(vec!["email is required".into()]))?;
    let user = state
        .store
        .user_by_email_in_reach(&reach, email)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No user with the email {email} was found")))?;
    let scope = caller.scope_for(user.company.clone())?;
    let message = deliver(&state, &scope, &user, TokenPurpose::Reset).await?;
    Ok(ok_with(
        IdResult {
            resource_id: user.resource_id.to_string(),
        },
        message,
    ))
}

/// Emails the user about their account: a new set-password link (7 days) when they have not
/// set a password yet, otherwise where and as whom to sign in.
#[utoipa::path(post, path = "/api/system-users/{resourceId}/send-information-email", tag = TAG,
    summary = "Sends information email for existing system user",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn send_information_email(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &reach, &resource_id).await?;
    let message = if user.credentials.password_hash.is_none() {
        let scope = caller.scope_for(user.company.clone())?;
        deliver(&state, &scope, &user, TokenPurpose::Create).await?
    } else {
        let recipient = recipient(&user);
        match state.mailer.send_information(&recipient).await {
            Ok(Delivery::Sent) => format!("An email was sent to {}", user.email.as_str()),
            Ok(Delivery::NotConfigured) => {
                "No mail server is configured (smtp_url), so no email was sent.".to_owned()
            }
            Err(e) => return Err(mail_failed(&user, &e)),
        }
    };
    Ok(ok_with(
        IdResult {
            resource_id: user.resource_id.to_string(),
        },
        message,
    ))
}

/// Sets a new password with the token of a reset link. Called without a bearer token.
#[utoipa::path(post, path = "/api/system-users/reset-password", tag = TAG,
    summary = "Resets user's password with token",
    request_body = PasswordWithTokenRequest,
    responses((status = 200, body = ServiceResult<IdResult>)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordWithTokenRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = set_with_token(&state, peer, &headers, &body, TokenPurpose::Reset).await?;
    Ok(ok(IdResult {
        resource_id: user.resource_id.to_string(),
    }))
}

/// Sets a new user's first password with the token of their invitation link. Called without a
/// bearer token.
#[utoipa::path(post, path = "/api/system-users/create-password", tag = TAG,
    summary = "Creates user's password with token",
    request_body = PasswordWithTokenRequest,
    responses((status = 200, body = ServiceResult<CreatePasswordServiceResult>)))]
pub async fn create_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordWithTokenRequest>,
) -> ApiResult<Json<ServiceResult<CreatePasswordServiceResult>>> {
    let user = set_with_token(&state, peer, &headers, &body, TokenPurpose::Create).await?;
    Ok(ok(CreatePasswordServiceResult {
        email: user.email.as_str().to_owned(),
    }))
}

/// The signed-in user changes their own password. REST API clients have none: 403.
#[utoipa::path(put, path = "/api/system-users/change-password", tag = TAG,
    summary = "Changes a system user's password",
    request_body = ChangePasswordRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<ChangePasswordRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    change_password_as(&state, &caller, &body).await.map(ok)
}

/// What `change-password` does for `caller`.
pub async fn change_password_as(
    state: &AppState,
    caller: &Caller,
    body: &ChangePasswordRequest,
) -> ApiResult<IdResult> {
    let user = signed_in_user(state, caller, "change-password").await?;
    let current = body.current_password.as_deref().unwrap_or("");
    let new = body.new_password.as_deref().unwrap_or("");
    let mut errors = Vec::new();
    if current.is_empty() {
        errors.push("currentPassword is required".to_owned());
    }
    if new.is_empty() {
        errors.push("newPassword is required".to_owned());
    } else if body.confirm_new_password.as_deref() != Some(new) {
        errors.push("The new password and its confirmation do not match".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    let password = Password::new_for(new, user.email.as_str()).map_err(ApiError::input)?;
    if current == new {
        return Err(ApiError::input(vec![
            "The new password must differ from the current one".into(),
        ]));
    }
    let matched = verify_password(
        state,
        Password::presented(current),
        user.credentials.password_hash.clone(),
    )
    .await?;
    if !matched {
        return Err(ApiError::input(vec![
            "The current password is incorrect".into(),
        ]));
    }
    let hash = hash_password(state, password).await?;
    state
        .store
        .set_password(&caller.own_scope(), user.key, &hash)
        .await?;
    tracing::info!(user = %user.resource_id, "password changed");
    Ok(IdResult {
        resource_id: user.resource_id.to_string(),
    })
}

/// The signed-in user's display settings; each unset one is the company's.
#[utoipa::path(get, path = "/api/system-users/settings", tag = TAG,
    summary = "Retrieves user's settings",
    responses((status = 200, body = ServiceResult<SystemUserSettingsDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn settings(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<ServiceResult<SystemUserSettingsDto>>> {
    settings_as(&state, &caller).await.map(ok)
}

/// What `GET settings` answers for `caller`.
pub async fn settings_as(state: &AppState, caller: &Caller) -> ApiResult<SystemUserSettingsDto> {
    let user = signed_in_user(state, caller, "settings").await?;
    let s = state.store.user_settings(user.key).await?;
    Ok(SystemUserSettingsDto {
        time_zone_id: s.time_zone_id,
        time_zone_name: s.time_zone_name,
        date_format: s.date_format,
        time_format: s.time_format,
    })
}

/// Sets the signed-in user's time zone, date and time formats (the ids that
/// `GET /api/timezone/timezones` lists); null returns a setting to the company's.
#[utoipa::path(put, path = "/api/system-users/settings", tag = TAG,
    summary = "Updates user's settings",
    request_body = SetSystemUserSettingsRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update_settings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<SetSystemUserSettingsRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    update_settings_as(&state, &caller, &body).await.map(ok)
}

/// What `PUT settings` does for `caller`.
pub async fn update_settings_as(
    state: &AppState,
    caller: &Caller,
    body: &SetSystemUserSettingsRequest,
) -> ApiResult<IdResult> {
    let user = signed_in_user(state, caller, "settings").await?;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let settings = UserSettings {
        time_zone_id: given(&body.time_zone_id),
        time_zone_name: None,
        date_format: given(&body.date_format),
        time_format: given(&body.time_format),
    };
    let mut errors = Vec::new();
    if let Some(tz) = &settings.time_zone_id
        && !state.store.time_zone_exists(tz).await?
    {
        errors.push(format!("timeZoneId '{tz}' is not a known time zone"));
    }
    if let Some(f) = &settings.date_format
        && !state.store.is_date_format(f).await?
    {
        errors.push(format!("dateFormat '{f}' is not one of the date formats"));
    }
    if let Some(f) = &settings.time_format
        && !state.store.is_time_format(f).await?
    {
        errors.push(format!("timeFormat '{f}' is not one of the time formats"));
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    state
        .store
        .set_user_settings(&caller.own_scope(), user.key, &settings)
        .await?;
    Ok(IdResult {
        resource_id: user.resource_id.to_string(),
    })
}

fn search_dto(r: UserSearchRow, is_editable: bool) -> SystemUserSearchDto {
    SystemUserSearchDto {
        resource_id: r.resource_id,
        first_name: r.first_name,
        last_name: r.last_name,
        company_name: r.company.name,
        company_resource_id: r.company.resource_id.to_string(),
        roles: r.roles,
        phone_number: r.phone_number,
        status_id: r.status_id,
        status_name: status_name(r.status_id).to_owned(),
        create_time: millis_to_rfc3339(r.create_time),
        email: r.email,
        is_editable,
    }
}

/// A user inside the caller's reach (or the named company), or 404.
async fn find(state: &AppState, reach: &Reach, resource_id: &str) -> ApiResult<UserRecord> {
    let not_found = || ApiError::not_found(format!("User {} was not found", resource_id.trim()));
    let id = ResourceId::parse(resource_id).ok_or_else(not_found)?;
    state
        .store
        .user_in_reach(reach, &id)
        .await?
        .ok_or_else(not_found)
}

/// The user `caller` is, for the operations only a signed-in user has.
async fn signed_in_user(state: &AppState, caller: &Caller, what: &str) -> ApiResult<UserRecord> {
    match &caller.principal() {
        Principal::User { key, .. } => state
            .store
            .user_by_key(*key)
            .await?
            .ok_or_else(|| ApiError::unauthorized(Some("The signed-in user no longer exists"))),
        Principal::Client { .. } => Err(ApiError::forbidden(format!(
            "{what} is for a system user signed in to the console; a REST API client has no password or settings"
        ))),
    }
}

fn is_self(caller: &Caller, user_key: i64) -> bool {
    caller.principal().user_key() == Some(user_key)
}

async fn is_root(state: &AppState, company: &CompanyRef) -> ApiResult<bool> {
    Ok(state
        .store
        .root_company()
        .await?
        .is_some_and(|root| root.id == company.id))
}

/// The first permission that `roles` grant in `company` and the caller does not hold.
fn beyond_caller(
    state: &AppState,
    caller: &Caller,
    roles: &[RoleGrant],
    company: &CompanyRef,
    company_is_root: bool,
) -> Option<String> {
    let granted: PermissionSet = grant(&state.catalog, roles, company, company_is_root).permissions;
    granted
        .iter()
        .find(|k| !caller.permissions().contains(k))
        .cloned()
}

/// A message for the first of `roles` that grants more than the caller holds.
fn roles_beyond_caller(
    state: &AppState,
    caller: &Caller,
    roles: &[RoleGrant],
    company: &CompanyRef,
    company_is_root: bool,
) -> Option<String> {
    roles.iter().find_map(|role| {
        beyond_caller(
            state,
            caller,
            std::slice::from_ref(role),
            company,
            company_is_root,
        )
        .map(|key| {
            format!(
                "You cannot give the role {}: it grants {key}, which you do not hold",
                role.name
            )
        })
    })
}

fn cannot_change(email: &str, key: &str) -> ApiError {
    ApiError::forbidden(format!(
        "You cannot change the user {email}: they hold {key}, which you do not"
    ))
}

/// The scope of the user's company, if the caller holds at least what the user holds.
fn editable_scope(state: &AppState, caller: &Caller, user: &UserRecord) -> ApiResult<CompanyScope> {
    let scope = caller.scope_for(user.company.clone())?;
    if let Some(key) = beyond_caller(
        state,
        caller,
        &user.roles,
        &user.company,
        user.company_is_root,
    ) {
        return Err(cannot_change(user.email.as_str(), &key));
    }
    Ok(scope)
}

/// The fields of create and update.
struct Fields<'a> {
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    email: Option<&'a str>,
    phone_number: Option<&'a str>,
    status_id: Option<i64>,
    roles: Option<&'a [String]>,
}

struct Valid {
    first_name: String,
    last_name: String,
    email: Email,
    phone_number: String,
    status_id: Option<i64>,
    /// `None`: no role list was sent.
    role_keys: Option<Vec<i64>>,
}

/// Checks a create or update body; every problem becomes one validation message. Roles must be
/// available to `company`, and each role not already held by `existing` must grant nothing
/// the caller lacks.
async fn validate(
    state: &AppState,
    caller: &Caller,
    scope: &CompanyScope,
    company_is_root: bool,
    fields: &Fields<'_>,
    existing: Option<&UserRecord>,
) -> ApiResult<Valid> {
    let mut errors = Vec::new();
    let mut check = |r: Result<String, String>| {
        r.unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let first_name = check(parse_name(fields.first_name, "First name"));
    let last_name = check(parse_name(fields.last_name, "Last name"));
    let phone_number = check(parse_phone(fields.phone_number));
    let email = match Email::parse(fields.email.unwrap_or("")) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let status_id = match fields.status_id {
        None => None,
        Some(s) if s == STATUS_ACTIVE || s == STATUS_INACTIVE => Some(s),
        Some(other) => {
            errors.push(format!(
                "statusId must be 1 (Active) or 0 (Inactive), not {other}"
            ));
            None
        }
    };
    if let (Some(user), Some(STATUS_INACTIVE)) = (existing, status_id)
        && is_self(caller, user.key)
    {
        errors.push("You cannot deactivate your own user".to_owned());
    }
    let role_keys = match fields.roles {
        None => None,
        Some(list) => {
            let mut ids: Vec<String> = Vec::new();
            for id in list.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
                if !ids.iter().any(|i| i == id) {
                    ids.push(id.to_owned());
                }
            }
            match state.store.roles_available_to(scope, &ids).await? {
                Ok(keys) => {
                    let held: Vec<i64> = existing
                        .map(|u| u.roles.iter().map(|r| r.key).collect())
                        .unwrap_or_default();
                    let added: Vec<i64> =
                        keys.iter().copied().filter(|k| !held.contains(k)).collect();
                    let grants = state.store.role_grants(&added).await?;
                    if let Some(problem) = roles_beyond_caller(
                        state,
                        caller,
                        &grants,
                        scope.company(),
                        company_is_root,
                    ) {
                        errors.push(problem);
                    }
                    Some(keys)
                }
                Err(missing) => {
                    errors.extend(
                        missing
                            .iter()
                            .map(|m| format!("Role {m} is not available to this company")),
                    );
                    None
                }
            }
        }
    };
    match (email, errors.is_empty()) {
        (Some(email), true) => Ok(Valid {
            first_name,
            last_name,
            email,
            phone_number,
            status_id,
            role_keys,
        }),
        _ => Err(ApiError::input(errors)),
    }
}

fn recipient(user: &UserRecord) -> Recipient<'_> {
    Recipient {
        first_name: &user.first_name,
        last_name: &user.last_name,
        email: user.email.as_str(),
    }
}

/// Issues a link for `purpose` and mails it. Without a mail server no link is issued: nobody
/// could receive it. The outer error is the store's, the inner one the mail's.
async fn send_link(
    state: &AppState,
    scope: &CompanyScope,
    user_key: i64,
    to: &Recipient<'_>,
    purpose: TokenPurpose,
) -> ApiResult<Result<Delivery, MailError>> {
    if !state.mailer.is_configured() {
        return Ok(Ok(Delivery::NotConfigured));
    }
    let token = OneTimeToken::generate();
    let expires_at = state
        .store
        .issue_password_token(scope, user_key, &token.digest(&state.hasher), purpose)
        .await?;
    let delivery = state
        .mailer
        .send_password_link(to, &token, purpose, expires_at)
        .await;
    if delivery.is_ok() {
        tracing::info!(user_key, purpose = purpose.as_str(), "password link sent");
    }
    Ok(delivery)
}

/// [`send_link`] for an existing user, with the response message; a mail failure is 503.
async fn deliver(
    state: &AppState,
    scope: &CompanyScope,
    user: &UserRecord,
    purpose: TokenPurpose,
) -> ApiResult<String> {
    match send_link(state, scope, user.key, &recipient(user), purpose).await? {
        Ok(Delivery::Sent) => Ok(format!(
            "A link to {} the password was sent to {}",
            match purpose {
                TokenPurpose::Create => "set",
                TokenPurpose::Reset => "reset",
            },
            user.email.as_str()
        )),
        Ok(Delivery::NotConfigured) => Ok(no_mail_server(user.email.as_str())),
        Err(e) => Err(mail_failed(user, &e)),
    }
}

fn mail_failed(user: &UserRecord, e: &MailError) -> ApiError {
    tracing::warn!(user = %user.resource_id, error = %e, "email to a system user failed");
    ApiError::new(
        latchkey_proto::ResultStatus::ServiceUnavailable,
        format!("The email could not be sent ({e}); try again later"),
    )
}

/// The shared half of `create-password` and `reset-password`: check the body and the link,
/// then use the link up and store the new password's hash.
async fn set_with_token(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &PasswordWithTokenRequest,
    purpose: TokenPurpose,
) -> ApiResult<UserRecord> {
    let ip = client_ip(peer, headers, &state.config.trusted_proxies);
    state
        .sign_in_limiter
        .check(&ip)
        .map_err(ApiError::too_many_requests)?;
    let raw = body.token.as_deref().map(str::trim).unwrap_or("");
    let new = body.new_password.as_deref().unwrap_or("");
    let mut errors = Vec::new();
    if raw.is_empty() {
        errors.push("token is required: use the link from the email".to_owned());
    }
    if new.is_empty() {
        errors.push("newPassword is required".to_owned());
    } else if body.confirm_new_password.as_deref() != Some(new) {
        errors.push("The new password and its confirmation do not match".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    let invalid = || {
        ApiError::input(vec![
            "This link is invalid, has expired or has already been used; ask for a new one".into(),
        ])
    };
    let digest = OneTimeToken::presented(raw).digest(&state.hasher);
    let user = state
        .store
        .password_token_user(&digest, purpose)
        .await?
        .ok_or_else(invalid)?;
    let password = Password::new_for(new, user.email.as_str()).map_err(ApiError::input)?;
    let hash = hash_password(state, password).await?;
    // Following the link, the user acts for themselves.
    let scope = self_scope(
        user.company.clone(),
        Actor::new(ActorKind::User, user.key, user.email.as_str()).from_origin(
            Some(ip.to_string()),
            crate::auth::bearer::user_agent(headers),
        ),
    );
    match state
        .store
        .set_password_with_token(&scope, &digest, purpose, user.key, &hash)
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.resource_id, purpose = purpose.as_str(), "password set with a one-time link");
    Ok(user)
}
