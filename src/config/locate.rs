//! Turns TOML/serde errors into messages that name the key with its path.
//!
//! toml reports where an error is (a byte span) and what it is (`unknown field `inactivty``,
//! `invalid type: string "x", expected i64`), but not the key path. Re-reading the document as a
//! tree of spanned keys and values maps the span back to `timeouts.inactivty` or
//! `rules[0] ("name").then[1]`. Line and column stay in the message, and serde's type names
//! (`i64`, `a sequence`, `struct RawChannel`) become plain words (`a whole number`, `a list`,
//! `a table`). Only runs on the error path.

use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use super::error::ConfigError;

/// A TOML value with the spans of its keys and values; strings kept to name rules.
enum Node {
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
    Array(Vec<Spanned<Node>>),
    Text(String),
    Other,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Text(s.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Table(entries))
    }
}

fn contains(span: Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

/// The path of the key at byte `offset` of `text`, e.g. `channels[1].kind`; `None` when `text` is
/// not valid TOML or `offset` lies outside every key.
pub(super) fn key_path(text: &str, offset: usize) -> Option<String> {
    let root: Node = toml::from_str(text).ok()?;
    let mut path = String::new();
    let mut node = &root;
    loop {
        match node {
            Node::Table(entries) => {
                let hit =
                    entries.iter().find(|(k, v)| contains(k.span(), offset) || contains(v.span(), offset));
                let Some((key, value)) = hit else { break };
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key.get_ref());
                node = value.get_ref();
            }
            Node::Array(items) => {
                let Some((i, item)) = items.iter().enumerate().find(|(_, v)| contains(v.span(), offset))
                else {
                    break;
                };
                let is_rule = path == "rules";
                path.push_str(&format!("[{i}]"));
                if let (true, Some(name)) = (is_rule, rule_name(item.get_ref())) {
                    path.push_str(&format!(" ({name:?})"));
                }
                node = item.get_ref();
            }
            Node::Text(_) | Node::Other => break,
        }
    }
    (!path.is_empty()).then_some(path)
}

fn rule_name(rule: &Node) -> Option<&str> {
    let Node::Table(entries) = rule else { return None };
    entries.iter().find(|(k, _)| k.get_ref() == "name").and_then(|(_, v)| match v.get_ref() {
        Node::Text(name) => Some(name.as_str()),
        _ => None,
    })
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> Option<(usize, usize)> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..)?.chars().count() + 1;
    Some((line, column))
}

/// A [`ConfigError::Parse`] for a failed parse of `text`: `key.path: message (line L, column C)`
/// when the key can be found, toml's own report (with its source excerpt) otherwise.
pub(super) fn parse_error(text: &str, err: &toml::de::Error) -> ConfigError {
    let located = err.span().and_then(|span| {
        let key = key_path(text, span.start)?;
        let (line, column) = line_column(text, span.start)?;
        Some(format!("{key}: {} (line {line}, column {column})", plain_words(err.message().trim_end())))
    });
    ConfigError::Parse(located.unwrap_or_else(|| err.to_string().trim_end().to_owned()))
}

/// serde's `invalid type: <found>, expected <wanted>` in the words of the file's readers; other
/// messages unchanged.
fn plain_words(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else { return message.to_owned() };
    let Some((found, wanted)) = rest.split_once(", expected ") else { return message.to_owned() };
    format!("invalid type: {}, expected {}", found_words(found), wanted_words(wanted))
}

/// serde's description of a value found (`string "x"`, ``integer `5` ``).
fn found_words(found: &str) -> String {
    let literal = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('`').to_owned());
    if let Some(text) = found.strip_prefix("string ") {
        format!("text {text}")
    } else if let Some(n) = literal("integer ") {
        format!("whole number {n}")
    } else if let Some(n) = literal("floating point ") {
        format!("number {n}")
    } else if let Some(b) = literal("boolean ") {
        b
    } else {
        match found {
            "sequence" => "a list".to_owned(),
            "map" => "a table".to_owned(),
            other => other.to_owned(),
        }
    }
}

/// serde's name of what was expected (`i64`, `a string`, `struct RawLine`).
fn wanted_words(wanted: &str) -> String {
    let word = match wanted {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a string" | "a borrowed string" | "path string" | "a character" => "text",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => return other.to_owned(),
    };
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_names_become_plain_words() {
        for (serde, plain) in [
            (
                "invalid type: string \"five\", expected i64",
                "invalid type: text \"five\", expected a whole number",
            ),
            ("invalid type: string \"10m\", expected f64", "invalid type: text \"10m\", expected a number"),
            ("invalid type: integer `5`, expected a string", "invalid type: whole number 5, expected text"),
            (
                "invalid type: floating point `1.5`, expected u32",
                "invalid type: number 1.5, expected a whole number",
            ),
            ("invalid type: boolean `true`, expected a sequence", "invalid type: true, expected a list"),
            ("invalid type: sequence, expected a boolean", "invalid type: a list, expected true or false"),
            (
                "invalid type: integer `5`, expected struct RawTimeouts",
                "invalid type: whole number 5, expected a table",
            ),
            ("invalid type: map, expected path string", "invalid type: a table, expected text"),
            ("unknown field `x`, expected one of `a`, `b`", "unknown field `x`, expected one of `a`, `b`"),
        ] {
            assert_eq!(plain_words(serde), plain, "{serde}");
        }
    }
}
