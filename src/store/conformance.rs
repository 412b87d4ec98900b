//! The behaviour every [`Store`] backend must show, written once against the trait.
//!
//! A backend plugs in by implementing [`Backend`] (how to get fresh storage and how to reopen
//! it) and invoking [`conformance_tests!`] in its test module, which generates one
//! `#[tokio::test]` per case below. Cases live in:
//! - `journal.rs`: append/load, fencing conflicts, batches, reopening, concurrency, numbering.
//! - `messages.rs`: idempotency lookup, split and merge moves, message paging.
//! - `filters.rs`: every filter of the dialog list, scope, merged chats hidden.
//! - `search.rs`: the word search (`q`) over messages and subjects, and reports against the
//!   reference tally.
//! - `sort.rs`: sort orders, NULL placement, cursor pagination, bad cursors, page sizes.
//! - `deadlines.rs`: the deadline index, open chats, readiness and flush.
//! - `outbox.rs`: webhook deliveries: written with their commit, due order, delivered, retry,
//!   parked, listed and re-queued.
//! - `support.rs`: fixtures (a domain-driven [`Script`](support::Script), hand-built rows).
//!
//! Must not know any backend: everything goes through the trait.

mod deadlines;
mod filters;
mod journal;
mod messages;
mod outbox;
mod search;
mod sort;
pub(crate) mod support;

use std::future::Future;
use std::sync::Arc;

use super::Store;

pub(crate) use deadlines::*;
pub(crate) use filters::*;
pub(crate) use journal::*;
pub(crate) use messages::*;
pub(crate) use outbox::*;
pub(crate) use search::*;
pub(crate) use sort::*;

/// A backend under test.
pub(crate) trait Backend: Sync {
    /// What keeps one storage alive across reopenings (a temporary directory, a server).
    type Storage: Send + Sync;

    /// New, empty storage and a store over it.
    fn fresh(&self) -> impl Future<Output = (Self::Storage, Arc<dyn Store>)>;

    /// Shuts `store` down cleanly (it must be the last handle) and opens a new store over the
    /// same storage, as a restart would.
    fn reopen(&self, storage: &Self::Storage, store: Arc<dyn Store>) -> impl Future<Output = Arc<dyn Store>>;
}

/// An embedded backend: a store opened in `<tmp>/data` (created by the open function), closed
/// and opened again in place to reopen.
pub(crate) struct InTempDir(pub(crate) fn(&std::path::Path) -> Arc<dyn Store>);

impl Backend for InTempDir {
    type Storage = tempfile::TempDir;

    async fn fresh(&self) -> (tempfile::TempDir, Arc<dyn Store>) {
        let storage = tempfile::tempdir().unwrap();
        let store = (self.0)(&storage.path().join("data"));
        (storage, store)
    }

    async fn reopen(&self, storage: &tempfile::TempDir, store: Arc<dyn Store>) -> Arc<dyn Store> {
        store.flush().await.unwrap();
        assert_eq!(Arc::strong_count(&store), 1, "reopen needs the last handle");
        drop(store); // joins the store's threads: everything is closed when this returns
        (self.0)(&storage.path().join("data"))
    }
}

/// Generates the whole suite as `#[tokio::test]`s for the backend `$backend` (an expression
/// of a type implementing [`Backend`]).
macro_rules! conformance_tests {
    ($backend:expr) => {
        $crate::store::conformance::conformance_tests!(@cases $backend;
            append_then_load_returns_the_events_in_order,
            an_append_at_a_written_position_conflicts_and_writes_nothing,
            an_append_that_skips_a_position_conflicts,
            one_conflicting_commit_fails_alone_among_concurrent_appends,
            reopening_recovers_everything_and_numbering_continues_above_it,
            concurrent_appends_from_many_tasks_are_all_durable,
            chat_numbers_never_repeat,
            load_starts_from_the_latest_snapshot_and_reads_only_the_events_after_it,
            a_conflicting_commit_writes_no_snapshot,
            the_head_of_a_conversation_is_its_existence_and_latest_chat,
            find_message_returns_the_stored_message_by_its_key,
            a_split_moves_only_the_messages_from_the_split_point,
            a_merge_moves_every_message_and_hides_the_merged_chat,
            messages_are_the_latest_before_a_seq_oldest_first,
            an_empty_query_lists_every_chat_but_merged_ones,
            filter_by_status,
            filter_by_detailed_status,
            filter_by_general_status,
            filter_by_phase,
            filter_by_responsible,
            filter_by_line,
            filter_by_channel,
            filter_by_client_name_substring_ignoring_case,
            filter_by_spam,
            filter_by_creation_time_inclusive,
            filter_by_direction,
            filter_by_participant_any_of,
            filter_by_client_id_exactly_and_client_by_name_or_id,
            filter_by_pinned,
            filter_by_request_type,
            filter_by_reasons_and_components_having_any_of_them,
            filter_by_client_and_supervisor_ratings,
            every_timestamp_filters_by_an_inclusive_range,
            ranges_on_two_timestamps_both_hold,
            q_finds_chats_holding_every_word_in_messages_or_subject,
            q_follows_messages_a_split_or_merge_moves,
            reports_add_up_like_the_reference_tally,
            a_report_over_no_chats_is_empty,
            scope_shows_lines_responsible_and_participant_chats,
            filters_combine,
            a_rewritten_row_is_listed_by_its_new_values,
            sort_by_several_columns_both_ways_ties_by_id,
            nulls_sort_first_ascending_and_last_descending,
            the_cursor_pages_through_equal_values_without_skips_or_repeats,
            the_cursor_pages_through_nulls_both_ways,
            a_bad_or_foreign_cursor_is_a_bad_query,
            page_size_defaults_to_50_and_is_capped_at_500,
            due_lists_deadlines_earliest_first_up_to_a_limit,
            a_cleared_deadline_is_no_longer_due,
            open_chats_are_the_active_and_closing_ones,
            check_and_flush_answer,
            outbox_rows_are_written_with_their_commit_and_survive_reopening,
            a_conflicting_commit_writes_no_outbox_rows,
            a_commit_whose_outbox_row_cannot_be_written_writes_nothing,
            due_outbound_lists_each_conversations_earliest_delivery_by_next_at,
            delivered_removes_a_delivery_and_the_next_of_its_conversation_comes_due,
            retry_later_reschedules_and_holds_back_the_rest_of_its_conversation,
            a_parked_delivery_keeps_its_payload_and_no_longer_holds_back_its_conversation,
            parked_deliveries_are_listed_oldest_parked_first_page_by_page,
            a_requeued_delivery_is_due_at_once_with_no_attempts_and_holds_back_again,
        );
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::store::conformance::$case(&$backend).await;
            }
        )*
    };
}

pub(crate) use conformance_tests;
