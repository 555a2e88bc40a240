//! Wrong fix: geocode_all blocks on the caller's runtime through Handle::try_current when there is one (from the stranger's report).
// expect fail: or the service's through a handle
use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Runtime;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coord {
    pub lat: f64,
    pub lon: f64,
}

pub trait Geocoder: Send + Sync + 'static {
    fn lookup(&self, city: &str) -> impl Future<Output = Option<Coord>> + Send;
}
async fn lookup_all<G: Geocoder>(geo: &G, cities: &[String]) -> Vec<Option<Coord>> {
    let mut coords = Vec::with_capacity(cities.len());
    for city in cities {
        coords.push(geo.lookup(city).await);
    }
    coords
}

pub fn geocode_all<G: Geocoder>(geo: &G, cities: &[String]) -> Vec<Option<Coord>> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(lookup_all(geo, cities)),
        Err(_) => Runtime::new()
            .expect("could not start a runtime")
            .block_on(lookup_all(geo, cities)),
    }
}

pub async fn handle_request<G: Geocoder>(geo: Arc<G>, cities: Vec<String>) -> Vec<Option<Coord>> {
    geocode_all(&*geo, &cities)
}
