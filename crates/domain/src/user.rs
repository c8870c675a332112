//! System users: the people who sign in to the console ("People" in the platform).
//!
//! The fields are checked here, at the edge, with the contract's lengths: first and last name
//! 1–40, email 1–320, phone 1–20. An email address is the sign-in name, unique across the
//! platform and compared ignoring case ([`Email::folded`]).

/// User status: the contract's `statusId`.
pub const STATUS_ACTIVE: i64 = 1;
pub const STATUS_INACTIVE: i64 = 0;

/// A syntactically valid email address, as the user wrote it (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 320;

    /// Accepts `local@domain` with a dot-atom local part (RFC 5322 without quoted strings or
    /// comments, which no one types) and a domain of letter-digit-hyphen labels. A domain
    /// without a dot is allowed: `admin@localhost` is the first administrator's default.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "Email must be between 1 and {} characters",
                Self::MAX_LEN
            ));
        }
        let invalid = || format!("Email '{raw}' is not a valid email address");
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c));
        let domain_ok = !domain.is_empty()
            && domain.len() <= 255
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// Wraps an address read back from the store, where it was validated on the way in.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and sign-in compare: lower case.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

/// Lower-cases an email as typed at sign-in, to compare with [`Email::folded`].
pub fn fold(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A first or last name: 1–40 characters after trimming, no control characters.
pub fn parse_name(raw: Option<&str>, field: &str) -> Result<String, String> {
    let name = raw.map(str::trim).unwrap_or("");
    let len = name.chars().count();
    if len == 0 || len > 40 {
        return Err(format!("{field} must be between 1 and 40 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// A phone number: 1–20 characters of digits, spaces and `+ - ( ) .`, with at least one digit.
pub fn parse_phone(raw: Option<&str>) -> Result<String, String> {
    let phone = raw.map(str::trim).unwrap_or("");
    let len = phone.chars().count();
    if len == 0 || len > 20 {
        return Err("Phone number must be between 1 and 20 characters".to_owned());
    }
    let ok = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && phone.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return Err(format!(
            "Phone number '{phone}' may contain only digits, spaces and + - ( ) ."
        ));
    }
    Ok(phone.to_owned())
}

pub fn status_name(status_id: i64) -> &'static str {
    if status_id == STATUS_ACTIVE {
        "Active"
    } else {
        "Inactive"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "jane@example.com",
            "Jane.Doe+tag@sub.example.co.uk",
            "admin@localhost",
            "o'brien@example.ie",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "jane@",
            "jane@@example.com",
            "jane..doe@example.com",
            ".jane@example.com",
            "jane@-example.com",
            "jane@example..com",
            "jane doe@example.com",
            "jane@exa mple.com",
            "<jane@example.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
        let e = Email::parse("  Jane@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Jane@Example.COM");
        assert_eq!(e.folded(), "jane@example.com");
        assert_eq!(fold(" JANE@example.com"), e.folded());
    }

    #[test]
    fn names_and_phones() {
        assert_eq!(parse_name(Some(" Jane "), "First name"), Ok("Jane".into()));
        assert!(parse_name(Some(""), "First name").is_err());
        assert!(parse_name(None, "First name").is_err());
        assert!(parse_name(Some(&"é".repeat(40)), "Last name").is_ok());
        assert!(parse_name(Some(&"é".repeat(41)), "Last name").is_err());
        assert_eq!(
            parse_phone(Some("+1 (555) 123-4567")),
            Ok("+1 (555) 123-4567".into())
        );
        assert!(parse_phone(Some("call me")).is_err());
        assert!(parse_phone(Some("+")).is_err());
        assert!(parse_phone(Some(&"1".repeat(21))).is_err());
        assert!(parse_phone(None).is_err());
    }
}
