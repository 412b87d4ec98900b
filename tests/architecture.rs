//! The architecture, checked from the source: no import circles between modules, the edges
//! (`api`, `ws`, `edge`, `web`) reach the inside only through the node's door (`crate::node`), and the
//! domain core stays pure (no actix, no IO, no clock, nothing outside `domain`).
//!
//! Modules are the files under `src/` (`a/b.rs` and `a/b/mod.rs` are `a::b`); test modules are
//! left out. A module depends on another when it names it in a path (`crate::x::y`,
//! `super::y`, `use crate::{x, y}`); a path to a name a parent module re-exports (`pub use
//! child::Name`) counts as a path to the child that defines it, and a parent depends on the
//! children it re-exports.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `src/` and its source, test modules removed.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    dirs.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            if parts.iter().any(|p| p == "tests" || p == "conformance") {
                continue;
            }
            out.insert(parts.join("::"), without_tests(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

/// The source without its test modules and comment lines.
fn without_tests(source: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            let next = lines.peek().map_or("", |l| l.trim_start());
            if next.contains("mod ") && next.trim_end().ends_with('{') {
                break; // the test module runs to the end of the file
            }
            lines.next(); // `mod tests;` or a test-only item's first line
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths named in `source` after `crate::` or `super::`, as (head, segments), braces of
/// `use` groups expanded one level.
fn paths(source: &str) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    for head in ["crate", "super"] {
        let needle = format!("{head}::");
        let mut from = 0;
        while let Some(at) = source[from..].find(&needle) {
            let start = from + at;
            from = start + needle.len();
            if source[..start].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &source[from..];
            let path: String = rest.chars().take_while(|c| is_ident(*c) || *c == ':').collect();
            let mut segments: Vec<String> =
                path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let head: &'static str = if head == "crate" { "crate" } else { "super" };
            if rest[path.len()..].starts_with('{')
                || (path.ends_with("::") && rest[path.len()..].starts_with('{'))
            {
                let group = &rest[path.len() + 1..];
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let first: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                    if !first.is_empty() && first != "self" {
                        let mut full = segments.clone();
                        full.push(first);
                        out.push((head, full));
                    }
                }
            }
            if !segments.is_empty() {
                segments.retain(|s| !s.is_empty());
                out.push((head, segments));
            }
        }
    }
    out
}

/// Names each module re-exports from its children: module -> name -> child module.
fn reexports(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (module, source) in mods {
        let mut rest = source.as_str();
        while let Some(at) = rest.find("pub use ") {
            let stmt = &rest[at + "pub use ".len()..];
            let end = stmt.find(';').unwrap_or(stmt.len());
            let stmt = stmt[..end].trim().trim_start_matches("self::");
            rest = &rest[at + 1..];
            let child: String = stmt.chars().take_while(|c| is_ident(*c)).collect();
            if child.is_empty() || child == "crate" || child == "super" {
                continue;
            }
            let child_module = if module.is_empty() { child.clone() } else { format!("{module}::{child}") };
            if !mods.contains_key(&child_module) {
                continue;
            }
            for name in stmt[child.len()..].split(|c: char| !is_ident(c)).filter(|n| !n.is_empty()) {
                out.entry(module.clone()).or_default().insert(name.to_owned(), child_module.clone());
            }
        }
    }
    out
}

/// The module a path (from the crate root) lands in: the longest module prefix, followed
/// through re-exports.
fn resolve(
    mods: &BTreeMap<String, String>,
    reexp: &BTreeMap<String, BTreeMap<String, String>>,
    segments: &[String],
) -> Option<String> {
    for len in (1..=segments.len()).rev() {
        let candidate = segments[..len].join("::");
        if mods.contains_key(&candidate) {
            if let Some(next) = segments.get(len).and_then(|n| reexp.get(&candidate).and_then(|r| r.get(n))) {
                let mut deeper: Vec<String> = next.split("::").map(str::to_owned).collect();
                deeper.extend(segments[len + 1..].iter().cloned());
                return resolve(mods, reexp, &deeper).or(Some(next.clone()));
            }
            return Some(candidate);
        }
    }
    None
}

/// Every module's dependencies on other modules (never on itself or its ancestors).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let reexp = reexports(&mods);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, source) in &mods {
        let own = edges.entry(module.clone()).or_default();
        for child in reexp.get(module).into_iter().flat_map(|r| r.values()) {
            own.insert(child.clone());
        }
        for (head, segments) in paths(source) {
            let mut full: Vec<String> = if head == "crate" {
                Vec::new()
            } else {
                let mut parent: Vec<String> = module.split("::").map(str::to_owned).collect();
                parent.pop();
                parent
            };
            full.extend(segments);
            if let Some(target) = resolve(&mods, &reexp, &full) {
                let ancestor = module.starts_with(&format!("{target}::")) || target.is_empty();
                if target != *module && !ancestor {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    edges
}

/// The strongly connected components with more than one module: the import circles.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(lw));
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn no_module_imports_itself_in_a_circle() {
    let found = circles(&graph());
    assert!(found.is_empty(), "import circles: {found:#?}");
}

#[test]
fn no_top_level_part_of_the_crate_imports_itself_in_a_circle() {
    let mut tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, deps) in graph() {
        let own = tops.entry(top(&module).to_owned()).or_default();
        own.extend(deps.iter().map(|d| top(d).to_owned()).filter(|d| d != top(&module)));
    }
    let found = circles(&tops);
    assert!(found.is_empty(), "circles between parts of the crate: {found:#?}");
}

#[test]
fn the_edges_reach_the_inside_only_through_the_nodes_door() {
    let edges = graph();
    for (module, deps) in &edges {
        if ["api", "ws", "edge", "server", "web"].contains(&top(module)) {
            let inside: Vec<_> = deps.iter().filter(|d| top(d) == "actors").collect();
            assert!(inside.is_empty(), "{module} reaches into the actors: {inside:?}");
        }
    }
    let door: Vec<_> = edges.iter().filter(|(_, deps)| deps.contains("node")).map(|(m, _)| top(m)).collect();
    assert!(door.contains(&"edge") && door.contains(&"ws"), "the edges use the door: {door:?}");
}

#[test]
fn the_domain_depends_on_nothing_outside_it() {
    for (module, source) in modules().iter().filter(|(m, _)| top(m) == "domain") {
        for (head, segments) in paths(source) {
            assert!(
                head == "super" || segments.first().is_some_and(|s| s == "domain"),
                "{module} names crate::{}",
                segments.join("::")
            );
        }
        for word in ["actix", "tokio", "SystemTime", "Instant::now", "Timestamp::now", "std::fs", "std::net"]
        {
            assert!(!source.contains(word), "{module} uses {word}: the domain is pure");
        }
    }
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default().insert("a".into());
    edges.entry("d".into()).or_default().insert("a".into());
    assert_eq!(circles(&edges), vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
    let source = "use super::{x, y::Z};\nlet v = crate::domain::ids::ChatId(1);";
    let found = paths(source);
    assert!(found.contains(&("super", vec!["x".to_owned()])), "{found:?}");
    assert!(found.contains(&("super", vec!["y".to_owned()])), "{found:?}");
    assert!(found.contains(&("crate", vec!["domain".into(), "ids".into(), "ChatId".into()])), "{found:?}");
}
