//! A form's mistake, carried across the redirect back to the page that shows
//! the form (once): the page puts the message beside the field and keeps
//! what was typed, instead of ending on an error page.

use crate::Result;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const KEY: &str = "form_problem";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormProblem {
    /// Which form: `folder`, `rename`, `selection`.
    pub form: String,
    pub message: String,
    /// What was typed in the field, to show again.
    pub typed: String,
}

/// Remembers the mistake for the next page.
pub async fn keep(session: &Session, form: &str, message: String, typed: &str) -> Result<()> {
    let problem = FormProblem {
        form: form.to_owned(),
        message,
        typed: typed.chars().take(1000).collect(),
    };
    session.insert(KEY, problem).await?;
    Ok(())
}

/// The mistake kept for this page, once. Only a session that holds one is
/// changed (removing marks a session for saving, a write on every page view).
pub async fn take(session: &Session) -> Result<Option<FormProblem>> {
    let problem = session.get::<FormProblem>(KEY).await?;
    if problem.is_some() {
        session.remove_value(KEY).await?;
    }
    Ok(problem)
}
