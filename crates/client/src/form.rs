//! A `multipart/form-data` body that can be sent more than once.
//!
//! `reqwest`'s form is consumed by sending it; the client sends a request again when a cached
//! token is refused, so it keeps the parts and builds a fresh form for each attempt.

/// The parts of a form, in order; a name may repeat (the company form's `Tags`).
#[derive(Debug, Clone, Default)]
pub struct Form {
    parts: Vec<(String, Part)>,
}

#[derive(Clone)]
enum Part {
    Text(String),
    File { file_name: String, bytes: Vec<u8> },
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Text(t) => write!(f, "{t:?}"),
            Part::File { file_name, bytes } => write!(f, "{file_name} ({} bytes)", bytes.len()),
        }
    }
}

impl Form {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push((name.into(), Part::Text(value.into())));
        self
    }

    /// Adds a file. The server tells its kind by its name and first bytes.
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        self.parts.push((
            name.into(),
            Part::File {
                file_name: file_name.into(),
                bytes,
            },
        ));
        self
    }

    /// Whether a field of that name (ignoring case, as the server matches) is present.
    pub fn has(&self, name: &str) -> bool {
        self.parts.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn to_multipart(&self) -> reqwest::multipart::Form {
        self.parts.iter().fold(
            reqwest::multipart::Form::new(),
            |form, (name, part)| match part {
                Part::Text(t) => form.text(name.clone(), t.clone()),
                Part::File { file_name, bytes } => form.part(
                    name.clone(),
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.clone()),
                ),
            },
        )
    }
}
