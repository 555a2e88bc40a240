//! Wrong fix: the handler spawns a task per city into a JoinSet and keeps the answers in the order they finish (from the stranger's report).
// expect fail: in the order the lookups finished
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
    let mut set = tokio::task::JoinSet::new();
    for city in cities {
        let geo = geo.clone();
        set.spawn(async move { geo.lookup(&city).await });
    }
    let mut coords = Vec::new();
    while let Some(c) = set.join_next().await {
        coords.push(c.expect("lookup panicked"));
    }
    coords
}
