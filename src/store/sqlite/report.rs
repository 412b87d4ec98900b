//! Reports read in SQL and added up here (what is counted is defined in `store::report`; this
//! must arrive at the same sums as [`Tally::add`]): the chats created in the range, read along
//! the `created_at` index, merged ones left out, folded per responsible or line. Folding in a
//! map instead of SQL's `GROUP BY` spares sorting every row of the range by its key (a report
//! has few keys and many rows).

use std::collections::HashMap;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};

use crate::store::report::Tally;
use crate::store::{ReportGroup, ReportQuery, ReportRow, StoreError};

fn real(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Real(x) => Some(x),
        ValueRef::Integer(i) => Some(i as f64),
        _ => None,
    }
}

/// The rows of `query`, by key.
pub(super) fn report(conn: &Connection, query: &ReportQuery) -> Result<Vec<ReportRow>, StoreError> {
    let (key, only_keyed) = match query.group {
        ReportGroup::Operator => ("responsible", " AND responsible IS NOT NULL"),
        ReportGroup::Line => ("line", ""),
    };
    let sql = format!(
        "SELECT {key}, phase <> 'active', wait_first_response, first_message_response, duration, client_rating
         FROM chats INDEXED BY chats_by_created_at
         WHERE created_at >= ?1 AND created_at <= ?2 AND merged_into IS NULL{only_keyed}"
    );
    let sla = f64::from(query.sla);
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![query.from.millis(), query.to.millis()])?;
    while let Some(row) = rows.next()? {
        let ValueRef::Text(key) = row.get_ref(0)? else { continue };
        let key = std::str::from_utf8(key)
            .map_err(|e| StoreError::Corrupt(format!("a chat's {} is not UTF-8: {e}", query_key(query))))?;
        let tally = match tallies.get_mut(key) {
            Some(t) => t,
            None => tallies.entry(key.to_owned()).or_insert_with(|| Tally::new(key)),
        };
        let wait = real(row.get_ref(2)?);
        tally.chats += 1;
        tally.finished += u64::from(row.get::<_, bool>(1)?);
        tally.wait_first_response.add(wait);
        tally.first_message_response.add(real(row.get_ref(3)?));
        tally.duration.add(real(row.get_ref(4)?));
        tally.client_rating.add(real(row.get_ref(5)?));
        tally.within_sla += u64::from(wait.is_some_and(|w| w <= sla));
    }
    let mut out: Vec<ReportRow> = tallies.values().map(Tally::row).collect();
    out.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn query_key(query: &ReportQuery) -> &'static str {
    match query.group {
        ReportGroup::Operator => "responsible",
        ReportGroup::Line => "line",
    }
}
