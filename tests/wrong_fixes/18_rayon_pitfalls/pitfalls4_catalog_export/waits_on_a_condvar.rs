//! Wrong fix: replaces the channel with a Mutex and a Condvar: the page still blocks a thread
//! of the pool until a job queued on the same pool has run.
// expect fail: pool deadlock
//! A furniture shop exports its catalog as printable pages, one per product. A page needs the
//! product's photo, rendered from its 3D model (`render_photo`), and its description, laid out
//! from the product's data (`describe`). Both are CPU work, and both run on the export's rayon
//! pool, `pool`, which the shop sizes to its server: often one or two threads.
//!
//! Done when: `export_catalog` returns one page per product, in the catalog's order, with that
//! product's photo and description, each rendered exactly once and on `pool`, pages rendered in
//! parallel; and it finishes whatever the pool's size, a single thread included.

use std::sync::{Arc, Condvar, Mutex};

use rayon::ThreadPool;
use rayon::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub sku: u32,
    pub photo: String,
    pub description: String,
}

/// Renders one page per product on `pool`, in the catalog's order.
pub fn export_catalog<P, D>(
    pool: &ThreadPool,
    products: &[Product],
    render_photo: P,
    describe: D,
) -> Vec<Page>
where
    P: Fn(&Product) -> String + Send + Sync + 'static,
    D: Fn(&Product) -> String + Send + Sync,
{
    let render_photo = Arc::new(render_photo);
    pool.install(|| {
        products
            .par_iter()
            .map(|product| {
                // The photo job fills the slot and signals; the page waits on the signal.
                let slot = Arc::new((Mutex::new(None::<String>), Condvar::new()));
                let (render, filled, for_photo) = (
                    Arc::clone(&render_photo),
                    Arc::clone(&slot),
                    product.clone(),
                );
                pool.spawn(move || {
                    let photo = render(&for_photo);
                    *filled.0.lock().unwrap() = Some(photo);
                    filled.1.notify_one();
                });
                let description = describe(product);
                let mut photo = slot.0.lock().unwrap();
                while photo.is_none() {
                    photo = slot.1.wait(photo).unwrap();
                }
                Page {
                    sku: product.sku,
                    photo: photo.take().unwrap(),
                    description,
                }
            })
            .collect()
    })
}
