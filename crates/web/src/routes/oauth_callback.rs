//! What a browser brings back from a sign-in service (GitHub, an OpenID
//! Connect provider), checked the same way before any code is exchanged:
//! the answer belongs to the sign-in this browser started (`state`, in
//! constant time), within its time, and carries a code.

use subtle::ConstantTimeEq;

/// The answer as the browser brought it back.
pub(super) struct Answer<'a> {
    pub state: &'a str,
    pub error: &'a str,
    pub code: &'a str,
}

/// Why the answer cannot be used, in words naming `service` ("GitHub", "the
/// sign-in service"); `denied` when the person said no there. `None`: use it.
pub(super) fn refusal(
    service: &str,
    denied: &str,
    started_state: &str,
    expired: bool,
    answer: &Answer<'_>,
) -> Option<String> {
    let state_matches: bool = started_state
        .as_bytes()
        .ct_eq(answer.state.as_bytes())
        .into();
    if !state_matches {
        return Some(format!(
            "The answer from {service} does not belong to the sign-in this browser started, so it was refused. Start again from the sign-in page."
        ));
    }
    if expired {
        return Some(
            "This sign-in took longer than 10 minutes, so it was stopped. Start again from the sign-in page.".into(),
        );
    }
    if answer.error == "access_denied" {
        return Some(denied.to_owned());
    }
    if !answer.error.is_empty() || answer.code.is_empty() {
        let mut words =
            format!("{service} sent no sign-in code back. Start again from the sign-in page.");
        words[..1].make_ascii_uppercase();
        return Some(words);
    }
    None
}
