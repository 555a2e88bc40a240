//! Wrong fix: wraps the synchronous geocode_all in block_in_place.
// expect fail: block_in_place on a current-thread service runtime
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
    tokio::task::block_in_place(|| geocode_all(&*geo, &cities))
}
