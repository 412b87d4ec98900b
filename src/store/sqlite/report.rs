//! Reports added up in SQL (what is counted is defined in `store::report`; this must arrive at
//! the same sums as [`Tally::add`]): the chats created in the range, read along the
//! `created_at` index, merged ones left out, grouped by responsible or line.

use rusqlite::{params, Connection};

use crate::store::report::{Sum, Tally};
use crate::store::{ReportGroup, ReportQuery, ReportRow, StoreError};

/// The rows of `query`, by key.
pub(super) fn report(conn: &Connection, query: &ReportQuery) -> Result<Vec<ReportRow>, StoreError> {
    let (key, only_keyed) = match query.group {
        ReportGroup::Operator => ("responsible", " AND responsible IS NOT NULL"),
        ReportGroup::Line => ("line", ""),
    };
    let sql = format!(
        "SELECT {key}, count(*), sum(phase <> 'active'),
                total(wait_first_response), count(wait_first_response),
                total(first_message_response), count(first_message_response),
                total(duration), count(duration),
                total(client_rating), count(client_rating),
                sum(wait_first_response <= ?3)
         FROM chats INDEXED BY chats_by_created_at
         WHERE created_at >= ?1 AND created_at <= ?2 AND merged_into IS NULL{only_keyed}
         GROUP BY {key} ORDER BY {key}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows =
        stmt.query_map(params![query.from.millis(), query.to.millis(), f64::from(query.sla)], |r| {
            let count =
                |i: usize| -> rusqlite::Result<u64> { Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0)) };
            let sum =
                |i: usize| -> rusqlite::Result<Sum> { Ok(Sum { total: r.get(i)?, count: count(i + 1)? }) };
            Ok(Tally {
                key: r.get(0)?,
                chats: count(1)?,
                finished: count(2)?,
                wait_first_response: sum(3)?,
                first_message_response: sum(5)?,
                duration: sum(7)?,
                client_rating: sum(9)?,
                within_sla: r.get::<_, Option<i64>>(11)?.map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            })
        })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?.row());
    }
    Ok(out)
}
