//! Advancing the catalog by simulated days: for each new day, which movies and people were
//! changed, added and deleted (per-mille rates in `catalog.rs`). A movie also counts as changed
//! on a day when one of its credited people was deleted that day, since its credits lose them:
//! so refetching the listed IDs is always enough to bring a mirror up to date.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::{Catalog, DayEffects, KindEffects};
use crate::credits;

/// What happened on day `day` (>= 1), from the catalog of day `day - 1`.
pub fn day_effects(cat: &Catalog, day: u32) -> DayEffects {
    let before = day - 1;
    let person_changes: Vec<(u64, Change)> = (0..cat.person_slots(before))
        .into_par_iter()
        .filter(|&slot| cat.person_alive(slot, before))
        .filter_map(|slot| {
            if cat.person_deleted_on(slot) == day {
                Some((slot, Change::Deleted))
            } else if cat.person_changes_on(slot, day) {
                Some((slot, Change::Changed))
            } else {
                None
            }
        })
        .collect();
    // Movies that lose a credit because its person was deleted today: each deleted person has
    // one movie that can credit them.
    let touched: HashSet<u64> = person_changes
        .iter()
        .filter(|(_, c)| *c == Change::Deleted)
        .filter_map(|&(person, _)| {
            let movie = credits::only_movie_of(cat, person)?;
            let credits = cat
                .movie_alive(movie, before)
                .then(|| credits::raw_credits(cat, movie, before))?;
            credits.iter().any(|c| c.person == person).then_some(movie)
        })
        .collect();
    let movie_changes: Vec<(u64, Change)> = (0..cat.movie_slots(before))
        .into_par_iter()
        .filter(|&slot| cat.movie_alive(slot, before))
        .filter_map(|slot| {
            if cat.movie_deleted_on(slot) == day {
                Some((slot, Change::Deleted))
            } else if cat.movie_changes_on(slot, day) || touched.contains(&slot) {
                Some((slot, Change::Changed))
            } else {
                None
            }
        })
        .collect();
    let ids = |list: &[(u64, Change)], kind: Change, id: &dyn Fn(u64) -> u64| -> Vec<u64> {
        list.iter()
            .filter(|c| c.1 == kind)
            .map(|c| id(c.0))
            .collect()
    };
    let movie_id = |s| cat.movie_id(s);
    let person_id = |s| cat.person_id(s);
    DayEffects {
        movie: KindEffects {
            changed: ids(&movie_changes, Change::Changed, &movie_id),
            added: (cat.movie_slots(before)..cat.movie_slots(day))
                .filter(|&s| cat.movie_alive(s, day))
                .map(movie_id)
                .collect(),
            deleted: ids(&movie_changes, Change::Deleted, &movie_id),
        },
        person: KindEffects {
            changed: ids(&person_changes, Change::Changed, &person_id),
            added: (cat.person_slots(before)..cat.person_slots(day))
                .filter(|&s| cat.person_alive(s, day))
                .map(person_id)
                .collect(),
            deleted: ids(&person_changes, Change::Deleted, &person_id),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Changed,
    Deleted,
}

/// The JSON answer of `POST /__mutate`.
#[derive(Serialize)]
pub struct Summary {
    pub days: u32,
    /// The simulated day number after the mutation (0 = `--today`).
    pub day: u32,
    /// The simulator's date after the mutation.
    pub today: String,
    pub movie: Counts,
    pub person: Counts,
}

#[derive(Serialize, Default)]
pub struct Counts {
    pub changed: usize,
    pub added: usize,
    pub deleted: usize,
}

impl Counts {
    pub fn add(&mut self, k: &KindEffects) {
        self.changed += k.changed.len();
        self.added += k.added.len();
        self.deleted += k.deleted.len();
    }
}
