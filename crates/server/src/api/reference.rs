//! Reference data for the company form: code types, lookups, licences, time zones.

use latchkey_domain::permission::Tier;

use crate::routes::ApiRoute;

/// This module's rows of the route table.
pub fn routes() -> Vec<ApiRoute> {
    let _ = Tier::Company;
    Vec::new()
}
