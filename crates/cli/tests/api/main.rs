//! The integration test binary: every test starts the real server on a free port with a fresh
//! database (SQLite, or PostgreSQL when `LATCHKEY_TEST_DATABASE_URL` is set) and talks to it
//! over HTTP, or runs the real `latchkey` binary.

mod api_client;
mod audit_logs;
mod available_for;
mod bearer;
mod binary;
mod cli_api;
mod clients;
mod companies;
mod companies_my;
mod company_groups;
mod console;
mod console_browser;
mod custom_fields;
mod edge_input;
mod envelope;
mod helpers;
mod ip_allow_list;
mod isolation;
mod jobs;
mod jwt;
mod lookups;
mod mcp;
mod openapi;
mod people_search;
mod rate_limits;
mod real_clients;
mod replicas;
mod reseller_flow;
mod revocation;
mod roles;
mod schemathesis;
mod scim;
mod search_properties;
mod siem_forwarding;
mod siem_settings;
mod signing_keys;
mod slow_clients;
mod system_info;
mod system_users;
mod tags;
mod target_groups;
mod target_user_import;
mod target_users;
mod token;
