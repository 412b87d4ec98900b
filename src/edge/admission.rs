//! Admission of sockets: how many are open per remote address and per client conversation, so
//! one peer cannot multiply its per-socket limits by opening many sockets. A socket holds a
//! [`Slot`] for its whole life; dropping the slot (the session ends) gives it back.
//!
//! Counts are exact under concurrency (a map entry lock per key) and keys with no socket left
//! are removed, so the maps hold only what is connected.

use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;

/// Open sockets per key.
pub struct Admission<K: Eq + Hash + Clone> {
    open: Arc<DashMap<K, u32>>,
}

impl<K: Eq + Hash + Clone> Default for Admission<K> {
    fn default() -> Self {
        Self { open: Arc::new(DashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone + Send + Sync + 'static> Admission<K> {
    /// A slot for one more socket of `key`, unless `limit` are open already (`limit` 0 = no
    /// limit).
    pub fn admit(&self, key: K, limit: usize) -> Option<Slot> {
        let mut open = self.open.entry(key.clone()).or_insert(0);
        if limit != 0 && *open as usize >= limit {
            return None;
        }
        *open += 1;
        drop(open);
        let map = Arc::clone(&self.open);
        Some(Slot {
            release: Some(Box::new(move || {
                if let Some(mut open) = map.get_mut(&key) {
                    *open = open.saturating_sub(1);
                }
                map.remove_if(&key, |_, open| *open == 0);
            })),
        })
    }

    /// Sockets open for `key`.
    pub fn open(&self, key: &K) -> u32 {
        self.open.get(key).map_or(0, |n| *n)
    }

    /// Keys with at least one socket open.
    pub fn keys(&self) -> usize {
        self.open.len()
    }
}

/// One admitted socket; dropping it gives the place back.
pub struct Slot {
    release: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_at_most_limit_slots_and_a_dropped_slot_frees_its_place() {
        let admission = Admission::<&str>::default();
        let a = admission.admit("1.2.3.4", 2).unwrap();
        let _b = admission.admit("1.2.3.4", 2).unwrap();
        assert!(admission.admit("1.2.3.4", 2).is_none(), "the third is refused");
        assert!(admission.admit("5.6.7.8", 2).is_some(), "other keys are counted apart");
        drop(a);
        assert_eq!(admission.open(&"1.2.3.4"), 1);
        assert!(admission.admit("1.2.3.4", 2).is_some(), "a freed place is given again");
    }

    #[test]
    fn keys_without_sockets_are_forgotten_and_zero_means_no_limit() {
        let admission = Admission::<u32>::default();
        let slots: Vec<_> = (0..1000).map(|_| admission.admit(7, 0).unwrap()).collect();
        assert_eq!(admission.open(&7), 1000);
        drop(slots);
        assert_eq!((admission.open(&7), admission.keys()), (0, 0));
    }
}
