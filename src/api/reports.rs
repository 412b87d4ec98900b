//! `GET /api/v1/reports` (supervisors and admins): per responsible operator or per line, the
//! chats created in a time range added up (`crate::store::report` says what is counted). The
//! role is checked before the parameters, so an operator gets `forbidden` whatever they ask.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::domain::Timestamp;
use crate::edge::AppState;
use crate::store::{ReportGroup, ReportQuery};

use crate::edge::params::Params;
use crate::edge::scope::supervisors_only;
use crate::edge::Caller;
use crate::edge::EdgeError;

/// `sla` when not given (seconds).
pub const DEFAULT_SLA: u32 = 60;
/// The largest `sla` (a day, in seconds).
pub const MAX_SLA: u32 = 86_400;

/// `GET /api/v1/reports?group&from&to&sla`: `{"items":[row]}`, by key.
#[utoipa::path(get, path = "/api/v1/reports", tag = "team", security(("operator_jwt" = [])),
    params(
        ("group" = String, Query, description = "`operator` or `line`"),
        ("from" = String, Query, description = "RFC 3339: chats created at or after"),
        ("to" = String, Query, description = "RFC 3339: chats created at or before"),
        ("sla" = Option<u32>, Query, description = "Seconds to the first operator reply that count as within target (default 60)"),
    ),
    responses((status = 200, description = "One row per operator or line, by key", body = super::shapes::ReportList)))]
pub async fn reports(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    supervisors_only(&state.config.settings, &caller, "reports")?;
    let query = report_query(&Params::parse(req.query_string(), &["group", "from", "to", "sla"])?)?;
    let items = state.node.report(query).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// The report `params` ask for; `group`, `from` and `to` are required, `from` ≤ `to`.
pub fn report_query(params: &Params) -> Result<ReportQuery, EdgeError> {
    let required = |name: &str, what: &str| EdgeError::bad_request(format!("{name} is required: {what}"));
    let group = params
        .one_as("group", "operator or line", |s| match s {
            "operator" => Some(ReportGroup::Operator),
            "line" => Some(ReportGroup::Line),
            _ => None,
        })?
        .ok_or_else(|| required("group", "operator or line"))?;
    let time = |name: &str| {
        params
            .one_as(name, "an RFC 3339 time", Timestamp::parse_rfc3339)?
            .ok_or_else(|| required(name, "an RFC 3339 time"))
    };
    let (from, to) = (time("from")?, time("to")?);
    if from > to {
        return Err(EdgeError::bad_request("from is after to"));
    }
    let sla = params.number("sla", 0, u64::from(MAX_SLA))?.map_or(DEFAULT_SLA, |s| s as u32);
    Ok(ReportQuery { group, from, to, sla })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Result<ReportQuery, EdgeError> {
        report_query(&Params::parse(q, &["group", "from", "to", "sla"])?)
    }

    #[test]
    fn a_report_query_reads_its_group_range_and_sla_with_sixty_seconds_by_default() {
        let q = query("group=line&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z").unwrap();
        assert_eq!(q.group, ReportGroup::Line);
        assert_eq!((q.from.millis(), q.to.millis()), (1_704_067_200_000, 1_706_745_600_000));
        assert_eq!(q.sla, 60);
        let q = query("group=operator&from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&sla=0").unwrap();
        assert_eq!((q.group, q.sla), (ReportGroup::Operator, 0));
    }

    #[test]
    fn missing_and_bad_parameters_are_refused_naming_them() {
        let range = "from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z";
        for (q, says) in [
            (range.to_string(), "group is required"),
            (format!("group=team&{range}"), "group: \"team\""),
            ("group=line&to=2024-02-01T00:00:00Z".to_string(), "from is required"),
            ("group=line&from=2024-02-01T00:00:00Z".to_string(), "to is required"),
            ("group=line&from=yesterday&to=2024-02-01T00:00:00Z".to_string(), "from: \"yesterday\""),
            ("group=line&from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z".to_string(), "from is after to"),
            (format!("group=line&{range}&sla=-1"), "sla"),
            (format!("group=line&{range}&sla=86401"), "sla"),
            (format!("group=line&group=operator&{range}"), "group: given more than once"),
        ] {
            let err = query(&q).unwrap_err();
            assert_eq!(err.code.as_str(), "bad_request");
            assert!(err.message.starts_with(says), "{q}: {}", err.message);
        }
    }
}
