//! Correct alternative: the handler spawns one task per city on the service's runtime; the sync entry point keeps a multi-thread runtime.
use std::future::Future;
use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::task::JoinSet;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coord {
    pub lat: f64,
    pub lon: f64,
}

pub trait Geocoder: Send + Sync + 'static {
    fn lookup(&self, city: &str) -> impl Future<Output = Option<Coord>> + Send;
}

/// Every lookup in a task of its own, on whatever runtime this runs on.
async fn lookup_all<G: Geocoder>(geo: Arc<G>, cities: Vec<String>) -> Vec<Option<Coord>> {
    let mut tasks = JoinSet::new();
    for (index, city) in cities.into_iter().enumerate() {
        let geo = Arc::clone(&geo);
        tasks.spawn(async move { (index, geo.lookup(&city).await) });
    }
    let mut coords = vec![None; tasks.len()];
    while let Some(done) = tasks.join_next().await {
        let (index, coord) = done.expect("a lookup panicked");
        coords[index] = coord;
    }
    coords
}

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

pub async fn handle_request<G: Geocoder>(geo: Arc<G>, cities: Vec<String>) -> Vec<Option<Coord>> {
    lookup_all(geo, cities).await
}
