//! Limits of the free-text fields people type outside a message (SPEC 8: every free-text field
//! has a length limit): a client's display `name`, the widget's `page_url`, a chat's `subject`
//! and a supervisor's `supervisor_comment`. Pure checks, one per field, used by every edge where
//! such a field enters (HTTP inbound, PATCH, socket `update_chat`, the client socket's connect)
//! and again by the conversation as a backstop, so a value that passes one door passes them all.
//!
//! Lengths are counted in characters (Unicode scalar values), not bytes. Control characters are
//! refused: they break CSV and log lines and hide text from the reader; a comment may keep line
//! breaks and tabs. An empty value is not checked here: callers treat it as "absent" or "clear".
//! Message texts are not this module's: `limits.max_text_chars` bounds them.

use super::ids::is_printable;

/// Longest client display name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest widget page URL, in characters.
pub const MAX_PAGE_URL_CHARS: usize = 2048;
/// Longest chat subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 500;
/// Longest supervisor comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 4000;

/// Why a free-text value was refused (the edge answers `too_large` or `bad_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than the field allows (`too_large`).
    #[error("{field}: at most {max} characters")]
    TooLong {
        /// The field, as the wire names it.
        field: &'static str,
        /// Its limit, in characters.
        max: usize,
    },
    /// Contains a control character the field does not allow (`bad_request`).
    #[error("{field}: control characters are not allowed")]
    Control {
        /// The field, as the wire names it.
        field: &'static str,
    },
}

/// A client's display name (`name`): at most [`MAX_NAME_CHARS`], one line.
pub fn check_client_name(name: &str) -> Result<(), TextError> {
    check("name", name, MAX_NAME_CHARS, false)
}

/// The page a client's widget runs on (`page_url`): at most [`MAX_PAGE_URL_CHARS`], one line.
pub fn check_page_url(url: &str) -> Result<(), TextError> {
    check("page_url", url, MAX_PAGE_URL_CHARS, false)
}

/// A chat's subject: at most [`MAX_SUBJECT_CHARS`], one line.
pub fn check_subject(subject: &str) -> Result<(), TextError> {
    check("subject", subject, MAX_SUBJECT_CHARS, false)
}

/// A supervisor's comment: at most [`MAX_COMMENT_CHARS`]; line breaks and tabs allowed.
pub fn check_supervisor_comment(comment: &str) -> Result<(), TextError> {
    check("supervisor_comment", comment, MAX_COMMENT_CHARS, true)
}

fn check(field: &'static str, value: &str, max: usize, multiline: bool) -> Result<(), TextError> {
    // A string of at most `max` bytes has at most `max` characters: no count needed then.
    if value.len() > max && value.chars().count() > max {
        return Err(TextError::TooLong { field, max });
    }
    if value.chars().any(|c| refused(c, multiline)) {
        return Err(TextError::Control { field });
    }
    Ok(())
}

/// What is not [`is_printable`] (as for client ids); `multiline` lets `\n`, `\r` and `\t`
/// through.
fn refused(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    !is_printable(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Check = fn(&str) -> Result<(), TextError>;

    #[test]
    fn lengths_are_counted_in_characters_not_bytes() {
        let name = "ä".repeat(MAX_NAME_CHARS);
        assert!(name.len() > MAX_NAME_CHARS, "two bytes a character");
        assert_eq!(check_client_name(&name), Ok(()));
        let longer = format!("{name}x");
        assert_eq!(
            check_client_name(&longer),
            Err(TextError::TooLong { field: "name", max: MAX_NAME_CHARS })
        );
    }

    #[test]
    fn each_field_has_its_limit_and_over_it_is_too_large() {
        let cases: [(Check, usize); 4] = [
            (check_client_name, MAX_NAME_CHARS),
            (check_page_url, MAX_PAGE_URL_CHARS),
            (check_subject, MAX_SUBJECT_CHARS),
            (check_supervisor_comment, MAX_COMMENT_CHARS),
        ];
        for (check, max) in cases {
            assert_eq!(check(&"x".repeat(max)), Ok(()), "{max}");
            let err = check(&"x".repeat(max + 1)).unwrap_err();
            assert!(matches!(err, TextError::TooLong { .. }), "{max}");
            assert!(err.to_string().contains(&format!("at most {max} characters")), "{err}");
        }
        assert_eq!(
            (MAX_NAME_CHARS, MAX_PAGE_URL_CHARS, MAX_SUBJECT_CHARS, MAX_COMMENT_CHARS),
            (200, 2048, 500, 4000)
        );
    }

    #[test]
    fn one_line_fields_refuse_every_control_character() {
        for bad in [
            "Ann\r\nSet-Cookie: x",
            "Ann\n",
            "\tAnn",
            "A\u{0}",
            "A\u{1b}[31m",
            "A\u{7f}",
            "A\u{85}",
            "A\u{2028}",
            "A\u{202E}gpj.exe",
        ] {
            for check in [check_client_name, check_page_url, check_subject] {
                let err = check(bad).unwrap_err();
                assert!(matches!(err, TextError::Control { .. }), "{bad:?}");
            }
        }
    }

    #[test]
    fn a_comment_keeps_line_breaks_and_tabs_but_no_other_control_characters() {
        assert_eq!(check_supervisor_comment("Good:\r\n\t- polite\n- fast"), Ok(()));
        assert_eq!(
            check_supervisor_comment("bell\u{7}"),
            Err(TextError::Control { field: "supervisor_comment" })
        );
        assert!(check_supervisor_comment("A\u{202E}").is_err());
    }

    #[test]
    fn ordinary_text_in_any_script_passes() {
        assert_eq!(check_client_name("Анна Петренко 🙂"), Ok(()));
        assert_eq!(check_page_url("https://shop.example/cart?item=42&q=%20x#top"), Ok(()));
        assert_eq!(check_subject("Refund, \"urgent\" = later; -5 € @ home"), Ok(()));
        assert_eq!(check_client_name(""), Ok(()), "empty is the caller's business");
    }
}
