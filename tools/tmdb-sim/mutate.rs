//! Advancing the catalog by simulated days: for each new day, which movies and people were
//! changed, added and deleted (per-mille rates in `catalog.rs`). A movie also counts as changed
//! on a day when one of its credited people was deleted that day, since its credits lose them:
//! so refetching the listed IDs is always enough to bring a mirror up to date.

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::{Catalog, DayEffects, KindEffects};
use crate::credits;

/// What happened on day `day` (>= 1), from the catalog of day `day - 1`.
pub fn day_effects(cat: &Catalog, day: u32) -> DayEffects {
    let before = day - 1;
    let movie_changes: Vec<(u64, u8)> = (0..cat.movie_slots(before))
        .into_par_iter()
        .filter(|&slot| cat.movie_alive(slot, before))
        .filter_map(|slot| {
            let id = cat.movie_id(slot);
            if cat.movie_deleted_on(slot) == day {
                Some((id, 2))
            } else if cat.movie_changes_on(slot, day)
                || credits::raw_credits(cat, slot, before)
                    .iter()
                    .any(|c| cat.person_deleted_on(c.person) == day)
            {
                Some((id, 1))
            } else {
                None
            }
        })
        .collect();
    let person_changes: Vec<(u64, u8)> = (0..cat.person_slots(before))
        .into_par_iter()
        .filter(|&slot| cat.person_alive(slot, before))
        .filter_map(|slot| {
            let id = cat.person_id(slot);
            if cat.person_deleted_on(slot) == day {
                Some((id, 2))
            } else if cat.person_changes_on(slot, day) {
                Some((id, 1))
            } else {
                None
            }
        })
        .collect();
    let split = |list: Vec<(u64, u8)>, added: Vec<u64>| KindEffects {
        changed: list.iter().filter(|c| c.1 == 1).map(|c| c.0).collect(),
        added,
        deleted: list.iter().filter(|c| c.1 == 2).map(|c| c.0).collect(),
    };
    let new_movies = (cat.movie_slots(before)..cat.movie_slots(day))
        .filter(|&s| cat.movie_alive(s, day))
        .map(|s| cat.movie_id(s))
        .collect();
    let new_people = (cat.person_slots(before)..cat.person_slots(day))
        .filter(|&s| cat.person_alive(s, day))
        .map(|s| cat.person_id(s))
        .collect();
    DayEffects {
        movie: split(movie_changes, new_movies),
        person: split(person_changes, new_people),
    }
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
