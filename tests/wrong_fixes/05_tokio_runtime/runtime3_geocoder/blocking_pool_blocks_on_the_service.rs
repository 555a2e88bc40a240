//! Wrong fix: no second runtime, but the lookups are driven by Handle::block_on on the blocking pool.
// expect fail: driven from a thread outside the service's runtime
use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Builder;

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

/// The lookups themselves, for any caller that is already async.
pub async fn geocode<G: Geocoder>(geo: &G, cities: &[String]) -> Vec<Option<Coord>> {
    let mut coords = Vec::with_capacity(cities.len());
    for city in cities {
        coords.push(geo.lookup(city).await);
    }
    coords
}

/// For synchronous callers: looks every city up, in order.
pub fn geocode_all<G: Geocoder>(geo: &G, cities: &[String]) -> Vec<Option<Coord>> {
    // A synchronous caller has no runtime, so this entry point brings one. A current-thread
    // runtime is enough to wait on lookups one after another, and starts no thread.
    let runtime = Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("could not start a runtime");
    runtime.block_on(geocode(geo, cities))
}

/// The web service's handler for `GET /geocode?cities=...`, on the service's runtime.
pub async fn handle_request<G: Geocoder>(geo: Arc<G>, cities: Vec<String>) -> Vec<Option<Coord>> {
    // Already on a runtime: a second one here would block this thread inside async code,
    // which tokio refuses. Awaiting lets the service's runtime run the lookups.
    let service = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || service.block_on(geocode(&*geo, &cities)))
        .await
        .expect("the lookups panicked")
}
