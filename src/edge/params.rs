//! Reading requests strictly: query strings whose every parameter is known and every value
//! parsed (a bad one is a `bad_request` naming the parameter), and JSON bodies read after the
//! caller's authentication and role are settled (so a 401/403 is never masked by a 400).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::EdgeError;

/// The pairs of a query string (`application/x-www-form-urlencoded`: `+` is a space), each name
/// and value percent-decoded and required to be valid UTF-8.
fn decode_query(query: &str) -> Result<Vec<(String, String)>, EdgeError> {
    let decode = |part: &str| -> Result<String, EdgeError> {
        let spaced = part.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| EdgeError::bad_request("the query string is not valid UTF-8"))
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The query parameter every authenticated endpoint accepts (the `Caller` reads it).
const TOKEN: &str = "token";

/// A parsed query string; every name in it is one the endpoint knows.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `query`; a parameter not in `known` (nor `token`) is a `bad_request`, and so is
    /// one whose percent-decoded name or value is not valid UTF-8 (never decoded lossily).
    pub fn parse(query: &str, known: &[&str]) -> Result<Self, EdgeError> {
        let pairs = decode_query(query)?;
        if let Some((name, _)) = pairs.iter().find(|(n, _)| n != TOKEN && !known.contains(&n.as_str())) {
            return Err(EdgeError::bad_request(format!(
                "unknown query parameter {name:?}; known: {}",
                known.join(", ")
            )));
        }
        Ok(Self { pairs })
    }

    /// The value of a parameter that may be given once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, EdgeError> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(EdgeError::bad_request(format!("{name}: given more than once")));
        }
        Ok(first)
    }

    /// A parameter given once, parsed by `parse` (`None` = not a valid value, named in the error).
    pub fn one_as<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, EdgeError> {
        match self.one(name)? {
            None => Ok(None),
            Some(raw) => parse(raw).map(Some).ok_or_else(|| invalid(name, raw, what)),
        }
    }

    /// A whole number in `min..=max`.
    pub fn number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, EdgeError> {
        let what = format!("a whole number from {min} to {max}");
        self.one_as(name, &what, |s| s.parse::<u64>().ok().filter(|n| (min..=max).contains(n)))
    }

    /// A comma-separated "any of" list (the parameter may also be repeated); every item parsed by
    /// `parse`. Empty items are refused: `status=` or `status=new,` is a mistake, not "any".
    pub fn any_of<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, EdgeError> {
        let mut out = Vec::new();
        for (_, raw) in self.pairs.iter().filter(|(n, _)| n == name) {
            for item in raw.split(',') {
                let item = item.trim();
                out.push(parse(item).filter(|_| !item.is_empty()).ok_or_else(|| invalid(name, item, what))?);
            }
        }
        Ok(out)
    }
}

fn invalid(name: &str, value: &str, what: &str) -> EdgeError {
    EdgeError::bad_request(format!("{name}: {value:?} is not {what}"))
}

/// A wire name of a serde enum (`"on_hold"` → `Status::OnHold`).
pub fn wire<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

/// The wire names of `values`, for error messages ("one of new, open, ...").
pub fn one_of(values: &[&str]) -> String {
    format!("one of {}", values.join(", "))
}

/// A JSON body, read by the handler itself once authentication and roles are checked.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, EdgeError> {
    if body.is_empty() {
        return Err(EdgeError::bad_request("a JSON body is required"));
    }
    serde_json::from_slice(body).map_err(|e| EdgeError::bad_request(format!("invalid JSON body: {e}")))
}

/// Deserialises a field that distinguishes absent (`None`, via `#[serde(default)]`) from
/// `null` (`Some(None)`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    #[test]
    fn unknown_parameters_are_refused_but_the_token_is_always_accepted() {
        assert!(Params::parse("status=new&token=x", &["status"]).is_ok());
        let err = Params::parse("stauts=new", &["status"]).unwrap_err();
        assert_eq!(err.code.as_str(), "bad_request");
        assert!(err.message.contains("stauts"), "{}", err.message);
    }

    #[test]
    fn query_strings_are_percent_decoded_strictly_never_lossily() {
        let p = Params::parse("client=caf%C3%A9+au+lait&status=", &["client", "status"]).unwrap();
        assert_eq!(p.one("client").unwrap(), Some("café au lait"));
        assert_eq!(p.one("status").unwrap(), Some(""));
        for bad in ["client=caf%C3", "client=%FF", "cl%FFient=x"] {
            let err = Params::parse(bad, &["client"]).unwrap_err();
            assert_eq!(err.code.as_str(), "bad_request", "{bad}");
            assert!(err.message.contains("UTF-8"), "{}", err.message);
        }
    }

    #[test]
    fn any_of_lists_split_on_commas_and_name_the_parameter_of_a_bad_item() {
        let p = Params::parse("status=new,on_hold&status=open", &["status"]).unwrap();
        let got = p.any_of("status", "a status", wire::<Status>).unwrap();
        assert_eq!(got, vec![Status::New, Status::OnHold, Status::Open]);
        let p = Params::parse("status=new,nope", &["status"]).unwrap();
        let err = p.any_of("status", "a status", wire::<Status>).unwrap_err();
        assert!(err.message.starts_with("status: \"nope\""), "{}", err.message);
        let p = Params::parse("status=new,", &["status"]).unwrap();
        assert!(p.any_of("status", "a status", wire::<Status>).is_err());
    }

    #[test]
    fn single_values_are_given_once_and_numbers_are_range_checked() {
        let p = Params::parse("limit=5&cursor=a&cursor=b", &["limit", "cursor"]).unwrap();
        assert_eq!(p.number("limit", 1, 500).unwrap(), Some(5));
        assert!(p.one("cursor").is_err());
        let p = Params::parse("limit=501", &["limit"]).unwrap();
        assert!(p.number("limit", 1, 500).unwrap_err().message.contains("limit"));
        let p = Params::parse("limit=x", &["limit"]).unwrap();
        assert!(p.number("limit", 1, 500).is_err());
    }

    #[test]
    fn nullable_fields_tell_null_from_absent() {
        #[derive(serde::Deserialize)]
        struct B {
            #[serde(default, deserialize_with = "nullable")]
            s: Option<Option<String>>,
        }
        let b: B = serde_json::from_str("{}").unwrap();
        assert_eq!(b.s, None);
        let b: B = serde_json::from_str(r#"{"s":null}"#).unwrap();
        assert_eq!(b.s, Some(None));
        let b: B = serde_json::from_str(r#"{"s":"x"}"#).unwrap();
        assert_eq!(b.s, Some(Some("x".into())));
    }
}
