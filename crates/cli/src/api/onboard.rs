//! `latchkey api onboard`: a reseller's documented onboarding in one command. It creates the
//! customer's company, a REST API client of the company with the Company Admin role, and
//! with `--scim` a SCIM integration, then prints what the customer needs: the API and token
//! URLs, the client's id and secret, and the SCIM base URL and token.
//!
//! The company form's lookups (country, industry, licence type and period) are taken by name,
//! ISO code or id; the time zone and date and time formats default to the country's. SCIM is
//! checked before anything is created, so that a server without it leaves no half-onboarded
//! customer behind.

use anyhow::{Context, anyhow, bail};
use clap::Args;
use latchkey_client::{Answer, Body, Client, Form, Method, lookup_types};
use latchkey_proto::lookups::LookupDto;
use serde_json::{Value, json};

use super::{ClientArgs, create_client, print_json};

#[derive(Args)]
pub struct OnboardArgs {
    /// The customer company's name.
    #[arg(long)]
    name: String,
    /// The reseller to create it under (one you manage). [default: your own company]
    #[arg(long)]
    parent: Option<String>,
    /// Its country: name, ISO code (US) or lookup id.
    #[arg(long)]
    country: String,
    /// Its industry: name or lookup id.
    #[arg(long)]
    industry: String,
    /// The licence type: name (Trial, Standard, …) or lookup id.
    #[arg(long)]
    license_type: String,
    /// The licence period: name (Monthly, Yearly, …) or lookup id.
    #[arg(long)]
    license_period: String,
    /// Licensed target users. [default: unlimited]
    #[arg(long)]
    users: Option<u32>,
    /// The licence's first day, e.g. 2026-01-01.
    #[arg(long)]
    license_start: Option<String>,
    /// The licence's last day.
    #[arg(long)]
    license_end: Option<String>,
    /// A time zone id of GET /api/timezone/timezones. [default: the country's]
    #[arg(long)]
    time_zone: Option<String>,
    /// [default: the country's]
    #[arg(long)]
    date_format: Option<String>,
    /// [default: the country's]
    #[arg(long)]
    time_format: Option<String>,
    /// Any other field of the company form as NAME=VALUE (e.g. Description=…); repeat for
    /// more. It replaces a field of the same name set above.
    #[arg(long = "field")]
    fields: Vec<String>,
    /// The client's name. [default: "<company name> API"]
    #[arg(long)]
    client_name: Option<String>,
    /// An address or CIDR range the client may call from; repeat for several. [default: any]
    #[arg(long = "allow-ip")]
    allow_ip: Vec<String>,
    /// Also create a SCIM integration of this name, for the customer's identity provider.
    #[arg(long)]
    scim: Option<String>,
}

pub async fn run(client: &Client, args: OnboardArgs) -> anyhow::Result<()> {
    if args.scim.is_some() {
        ensure_scim(client).await?;
    }
    let form = company_form(client, &args).await?;
    let company = client
        .create_company(args.parent.as_deref(), &form)
        .await
        .context("the company was not created")?
        .resource_id;
    let created = |what: &str| {
        format!(
            "the company {:?} ({company}) was created, but {what}",
            args.name
        )
    };
    let api_client = create_client(
        client,
        &ClientArgs {
            company: Some(company.clone()),
            name: args
                .client_name
                .clone()
                .unwrap_or_else(|| format!("{} API", args.name)),
            roles: vec!["Company Admin".into()],
            allow_ip: args.allow_ip.clone(),
            inactive: false,
        },
    )
    .await
    .with_context(|| created("its client was not"))?;
    let scim = match &args.scim {
        Some(name) => Some(
            create_scim(client, &company, name)
                .await
                .with_context(|| created("its SCIM integration was not"))?,
        ),
        None => None,
    };
    let mut handover = json!({
        "company": { "resourceId": company, "name": args.name },
        "apiUrl": client.base_url(),
        "tokenUrl": client.token_url(),
        "clientId": api_client["clientId"],
        "clientSecret": api_client["clientSecret"],
        "clientResourceId": api_client["resourceId"],
        "role": "Company Admin",
    });
    if let Some(scim) = scim {
        handover["scim"] = scim;
    }
    print_json(&handover)?;
    eprintln!(
        "Hand the client id and secret (and the SCIM token) to the customer over a secure channel: they are not shown again."
    );
    Ok(())
}

/// The message when the server has no SCIM.
fn no_scim(what: &str) -> anyhow::Error {
    anyhow!("this server does not offer SCIM ({what} answered 404 Not Found)")
}

/// Refuses, before anything is created, when the server has no SCIM operations.
async fn ensure_scim(client: &Client) -> anyhow::Result<()> {
    match client
        .call_any(Method::GET, "/api/scim/fields", None, Body::Empty)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.http_status() == Some(404) => Err(anyhow!(
            "{}: nothing was created; onboard without --scim",
            no_scim("GET /api/scim/fields")
        )),
        Err(e) => Err(anyhow::Error::new(e).context("checking that the server offers SCIM")),
    }
}

async fn create_scim(client: &Client, company: &str, name: &str) -> anyhow::Result<Value> {
    let body = json!({
        "name": name,
        "groupResourceId": null,
        "fieldMappings": [],
        "syncPlatformGroup": false,
    });
    match client
        .call_any(Method::POST, "/api/scim", Some(company), body)
        .await
    {
        Ok(Answer::Data(v) | Answer::Json(v)) => Ok(v),
        Ok(Answer::File(_)) => bail!("POST /api/scim answered with a file"),
        Err(e) if e.http_status() == Some(404) => Err(no_scim("POST /api/scim")),
        Err(e) => Err(e.into()),
    }
}

/// The company form with the lookups resolved and the country's defaults filled in.
async fn company_form(client: &Client, args: &OnboardArgs) -> anyhow::Result<Form> {
    let country = pick(
        &client.lookups(lookup_types::COUNTRY).await?,
        &args.country,
        "country",
    )?;
    let industry = pick(
        &client.lookups(lookup_types::INDUSTRY).await?,
        &args.industry,
        "industry",
    )?;
    let license_type = pick(
        &client.lookups(lookup_types::LICENSE_TYPE).await?,
        &args.license_type,
        "licence type",
    )?;
    let license_period = pick(
        &client.lookups(lookup_types::LICENSE_PERIOD_TYPE).await?,
        &args.license_period,
        "licence period",
    )?;
    let code = country.code.clone().or(country.iso_code.clone());
    let defaults = client
        .country_defaults()
        .await?
        .into_iter()
        .find(|d| code.as_deref() == Some(d.country_code.as_str()));
    let time_zone = args
        .time_zone
        .clone()
        .or_else(|| defaults.as_ref().and_then(|d| d.timezone.clone()))
        .ok_or_else(|| {
            anyhow!(
                "{} has no time zone of its own: give --time-zone",
                country.name
            )
        })?;
    let (date_format, time_format) = match (&args.date_format, &args.time_format, &defaults) {
        (Some(d), Some(t), _) => (d.clone(), t.clone()),
        (d, t, Some(defaults)) => (
            d.clone().unwrap_or_else(|| defaults.date_format.clone()),
            t.clone().unwrap_or_else(|| defaults.time_format.clone()),
        ),
        (_, _, None) => bail!(
            "{} has no suggested date and time formats: give --date-format and --time-format",
            country.name
        ),
    };
    let mut fields: Vec<(String, String)> = [
        ("Name", args.name.clone()),
        ("CountryResourceId", country.resource_id.clone()),
        ("IndustryResourceId", industry.resource_id.clone()),
        ("LicenseTypeResourceId", license_type.resource_id.clone()),
        (
            "LicensePeriodTypeResourceId",
            license_period.resource_id.clone(),
        ),
        ("NumberOfUsers", args.users.unwrap_or(0).to_string()),
        ("IsNumberOfUsersLimited", args.users.is_some().to_string()),
        ("TimeZoneId", time_zone),
        ("DateFormat", date_format),
        ("TimeFormat", time_format),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(start) = &args.license_start {
        fields.push(("LicenseStartDate".into(), start.clone()));
    }
    if let Some(end) = &args.license_end {
        fields.push(("LicenseEndDate".into(), end.clone()));
    }
    let mut extra = Vec::new();
    for pair in &args.fields {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--field {pair:?} must be NAME=VALUE"))?;
        extra.push((k.trim().to_owned(), v.to_owned()));
    }
    fields.retain(|(k, _)| !extra.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)));
    Ok(fields
        .into_iter()
        .chain(extra)
        .fold(Form::new(), |form, (k, v)| form.text(k, v)))
}

/// The lookup `wanted` names: by id, name or ISO code, ignoring case.
fn pick(list: &[LookupDto], wanted: &str, what: &str) -> anyhow::Result<LookupDto> {
    let wanted = wanted.trim();
    list.iter()
        .find(|l| {
            l.resource_id == wanted
                || l.name.eq_ignore_ascii_case(wanted)
                || l.iso_code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(wanted))
        })
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = list.iter().take(12).map(|l| l.name.as_str()).collect();
            let more = if list.len() > names.len() {
                ", …"
            } else {
                ""
            };
            anyhow!(
                "{what} {wanted:?} is not one the server knows; they are: {}{more}",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(id: &str, name: &str, iso: Option<&str>) -> LookupDto {
        LookupDto {
            resource_id: id.into(),
            generic_code_type_id: 1,
            generic_code_type_name: "Country".into(),
            name: name.into(),
            code: iso.map(str::to_owned),
            description: None,
            order_number: 1,
            iso_code: iso.map(str::to_owned),
            iso_friendly_name: None,
        }
    }

    #[test]
    fn lookups_are_picked_by_id_name_or_iso_code() {
        let list = [
            lookup("JZOe9dxhKSD3", "United States", Some("US")),
            lookup("WaUpx8Ha0JRk", "United Kingdom", Some("GB")),
        ];
        for wanted in ["JZOe9dxhKSD3", "united states", "us", " US "] {
            assert_eq!(
                pick(&list, wanted, "country").expect(wanted).name,
                "United States"
            );
        }
        let e = pick(&list, "Narnia", "country").expect_err("unknown");
        assert!(e.to_string().contains("United Kingdom"), "{e}");
    }
}
