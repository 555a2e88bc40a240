//! The `geo` library turns city names into coordinates through a `Geocoder`, the geocoding
//! service's async client (its lookups use tokio's sockets and timers). It began as a helper
//! for synchronous tools (a command-line tool, a nightly import), so its entry point,
//! `geocode_all`, is a plain function that builds a tokio runtime and blocks on the lookups.
//!
//! Now the web service wants it too. `handle_request` runs on the service's runtime, and calls
//! `geocode_all` from there, which builds a second runtime inside the first and blocks on it:
//! tokio panics ("Cannot start a runtime from within a runtime").
//!
//! Done when: `geocode_all` still serves synchronous callers (threads with no runtime);
//! `handle_request` answers on both kinds of service runtime, its lookups running on the
//! service's own runtime (no runtime built per request, no thread held while a lookup waits);
//! both give one answer per city, in order (`None` for a city the service does not know; no
//! cities, no answers).

use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Runtime;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coord {
    pub lat: f64,
    pub lon: f64,
}

/// The geocoding service's client (the real one speaks HTTP; tests bring their own).
pub trait Geocoder: Send + Sync + 'static {
    /// Looks one city up; async, on tokio's sockets and timers.
    fn lookup(&self, city: &str) -> impl Future<Output = Option<Coord>> + Send;
}

/// For synchronous callers: looks every city up, in order.
pub fn geocode_all<G: Geocoder>(geo: &G, cities: &[String]) -> Vec<Option<Coord>> {
    let runtime = Runtime::new().expect("could not start a runtime");
    runtime.block_on(async {
        let mut coords = Vec::with_capacity(cities.len());
        for city in cities {
            coords.push(geo.lookup(city).await);
        }
        coords
    })
}

/// The web service's handler for `GET /geocode?cities=...`, on the service's runtime.
pub async fn handle_request<G: Geocoder>(geo: Arc<G>, cities: Vec<String>) -> Vec<Option<Coord>> {
    // TODO: a runtime inside the service's runtime.
    geocode_all(&*geo, &cities)
}
