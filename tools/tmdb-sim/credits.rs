//! Credits: who worked on a movie, on a given day, and the bodies of `/3/movie/{id}/credits`
//! and of the appended `credits` object (REFERENCE.md §4.4).
//!
//! A movie's credits are generated in two steps: [`raw_credits`] decides who holds which role
//! under which credit_id (cheap: used to find the movies a deleted person touches), then the
//! text (names, characters, jobs) is rendered for the answer.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::person::{self, PersonFacts};
use crate::rng::{Rng, chance, hash, tag};
use crate::text;

/// Crew (department, job) pairs, with the departments TMDB uses (REFERENCE.md §4.4).
const JOBS: &[(&str, &str)] = &[
    ("Directing", "Director"),
    ("Writing", "Screenplay"),
    ("Writing", "Novel"),
    ("Production", "Producer"),
    ("Production", "Executive Producer"),
    ("Production", "Casting"),
    ("Editing", "Editor"),
    ("Camera", "Director of Photography"),
    ("Camera", "Steadicam Operator"),
    ("Sound", "Original Music Composer"),
    ("Sound", "Sound Re-Recording Mixer"),
    ("Art", "Production Design"),
    ("Art", "Set Decoration"),
    ("Costume & Make-Up", "Costume Design"),
    ("Costume & Make-Up", "Makeup Artist"),
    ("Visual Effects", "Visual Effects Supervisor"),
    ("Lighting", "Gaffer"),
    ("Crew", "Stunt Coordinator"),
];

/// One credit before its text is rendered: who, in which role, under which credit_id.
#[derive(Debug, Clone)]
pub struct RawCredit {
    /// The day the credit was added and its number that day: the credit_id hashes them.
    pub day: u32,
    pub n: u32,
    pub person: u64,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub enum Role {
    Cast { cast_id: u64, order: u64 },
    Crew { job: usize },
}

/// The movie's credits on `day`, before text: its day-of-birth credits, then the edits of each
/// change day, minus credits of people deleted by `day` (TMDB drops a deleted person's credits,
/// and the simulator lists the movie as changed that day).
pub fn raw_credits(cat: &Catalog, slot: u64, day: u32) -> Vec<RawCredit> {
    let born = cat.movie_born(slot);
    let mut rng = cat.rng(&[tag::CREDITS, slot]);
    // Most movies are small, a few are huge (REFERENCE.md §4.3: 167 cast / 560 crew).
    let size = rng.unit().powi(8);
    let cast_n = (200.0 * size * (0.5 + 0.5 * rng.unit())).round() as u32;
    let crew_n = (600.0 * size * (0.5 + 0.5 * rng.unit())).round() as u32;
    let mut out = Vec::with_capacity((cast_n + crew_n) as usize + 8);
    let mut n = 0;
    let mut next_order = 0;
    for _ in 0..cast_n {
        let cast_id = u64::from(n) + 1 + rng.below(3);
        out.push(RawCredit {
            day: born,
            n,
            person: draw_person(cat, &mut rng),
            role: Role::Cast {
                cast_id,
                order: next_order,
            },
        });
        n += 1;
        next_order += 1;
    }
    let first_crew = out.len();
    for i in 0..crew_n {
        // The second crew row repeats the first person in another job: one person holding
        // several crew credits on one movie is common (REFERENCE.md §4.4).
        let person = if i == 1 {
            out[first_crew].person
        } else {
            draw_person(cat, &mut rng)
        };
        let job = if i == 0 {
            0
        } else if i == 1 {
            1
        } else {
            rng.below(JOBS.len() as u64) as usize
        };
        out.push(RawCredit {
            day: born,
            n,
            person,
            role: Role::Crew { job },
        });
        n += 1;
    }
    if born == 0 {
        let person = cat.regular_people() + slot;
        let role = if rng.chance(500) {
            next_order += 1;
            Role::Cast {
                cast_id: u64::from(n) + 1,
                order: next_order - 1,
            }
        } else {
            Role::Crew {
                job: rng.below(JOBS.len() as u64) as usize,
            }
        };
        out.push(RawCredit {
            day: born,
            n,
            person,
            role,
        });
    } else {
        // The people born on a movie's day of birth appear in that day's new movies.
        let per_day = cat.movies_added_per_day();
        let index = (slot - cat.movies) % per_day;
        let first = cat.people_base() + u64::from(born - 1) * cat.people_added_per_day();
        for q in (index..cat.people_added_per_day()).step_by(per_day as usize) {
            let role = if q % 2 == 0 {
                let r = Role::Cast {
                    cast_id: u64::from(n) + 1,
                    order: next_order,
                };
                next_order += 1;
                r
            } else {
                Role::Crew { job: 1 }
            };
            out.push(RawCredit {
                day: born,
                n,
                person: first + q,
                role,
            });
            n += 1;
        }
    }
    for d in cat.movie_change_days(slot, day) {
        let mut edit = cat.rng(&[tag::CREDIT_EDIT, slot, u64::from(d)]);
        out.retain(|c| {
            !chance(
                &[
                    cat.seed,
                    tag::CREDIT_EDIT,
                    slot,
                    u64::from(d),
                    u64::from(c.day),
                    u64::from(c.n),
                ],
                30,
            )
        });
        let mut n = 0;
        for _ in 0..edit.below(3) {
            out.push(RawCredit {
                day: d,
                n,
                person: draw_person(cat, &mut edit),
                role: Role::Cast {
                    cast_id: 1000 * u64::from(d) + u64::from(n),
                    order: next_order,
                },
            });
            n += 1;
            next_order += 1;
        }
        for _ in 0..edit.below(3) {
            let job = edit.below(JOBS.len() as u64) as usize;
            out.push(RawCredit {
                day: d,
                n,
                person: draw_person(cat, &mut edit),
                role: Role::Crew { job },
            });
            n += 1;
        }
    }
    out.retain(|c| cat.person_alive(c.person, day));
    out
}

/// A person slot of the regular pool, skewed so that some people work on many movies.
fn draw_person(cat: &Catalog, rng: &mut Rng) -> u64 {
    let base = cat.regular_people();
    ((base as f64 * rng.unit().powf(1.5)) as u64).min(base - 1)
}

/// `/3/movie/{id}/credits` (with `id`) or the appended `credits` object (without).
#[derive(Serialize)]
pub struct Credits {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    cast: Vec<CastItem>,
    crew: Vec<CrewItem>,
}

#[derive(Serialize)]
struct CastItem {
    adult: bool,
    gender: u8,
    id: u64,
    known_for_department: &'static str,
    name: String,
    original_name: String,
    popularity: f64,
    profile_path: Option<String>,
    cast_id: u64,
    character: String,
    credit_id: String,
    order: u64,
}

#[derive(Serialize)]
struct CrewItem {
    adult: bool,
    gender: u8,
    id: u64,
    known_for_department: &'static str,
    name: String,
    original_name: String,
    popularity: f64,
    profile_path: Option<String>,
    credit_id: String,
    department: &'static str,
    job: &'static str,
}

/// The body of `/3/movie/{id}/credits`.
pub fn credits_body(cat: &Catalog, slot: u64, day: u32) -> Vec<u8> {
    let credits = credits(cat, slot, day, Some(cat.movie_id(slot)));
    serde_json::to_vec(&credits).expect("credit bodies serialize")
}

/// The credits on `day`; `id` is the movie ID for the standalone endpoint, `None` when
/// appended to the details.
pub fn credits(cat: &Catalog, slot: u64, day: u32, id: Option<u64>) -> Credits {
    let mut cast = Vec::new();
    let mut crew = Vec::new();
    for c in raw_credits(cat, slot, day) {
        let p: PersonFacts = person::facts(cat, c.person);
        let credit_id = credit_id(cat, slot, &c);
        match c.role {
            Role::Cast { cast_id, order } => {
                let mut rng = cat.rng(&[tag::CREDITS, slot, u64::from(c.day), u64::from(c.n)]);
                let character = match rng.below(20) {
                    0 | 1 => String::new(),
                    2 => "Self".to_owned(),
                    3 => format!("{} (voice)", text::name(&mut rng).0),
                    _ => text::name(&mut rng).0,
                };
                cast.push(CastItem {
                    adult: p.adult,
                    gender: p.gender,
                    id: p.id,
                    known_for_department: p.known_for_department,
                    name: p.name,
                    original_name: p.original_name,
                    popularity: p.popularity,
                    profile_path: p.profile_path,
                    cast_id,
                    character,
                    credit_id,
                    order,
                })
            }
            Role::Crew { job } => crew.push(CrewItem {
                adult: p.adult,
                gender: p.gender,
                id: p.id,
                known_for_department: p.known_for_department,
                name: p.name,
                original_name: p.original_name,
                popularity: p.popularity,
                profile_path: p.profile_path,
                credit_id,
                department: JOBS[job].0,
                job: JOBS[job].1,
            }),
        }
    }
    Credits { id, cast, crew }
}

/// 24 lowercase hex digits, unique per credit (REFERENCE.md §4.4).
fn credit_id(cat: &Catalog, slot: u64, c: &RawCredit) -> String {
    let a = hash(&[
        cat.seed,
        tag::CREDITS,
        slot,
        u64::from(c.day),
        u64::from(c.n),
        1,
    ]);
    let b = hash(&[
        cat.seed,
        tag::CREDITS,
        slot,
        u64::from(c.day),
        u64::from(c.n),
        2,
    ]);
    format!("{:016x}{:08x}", a, b >> 32)
}
