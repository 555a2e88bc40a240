//! Wrong fix: waits for the photo with a timeout and renders it itself when the job is late:
//! no deadlock, but the queued job still runs later, so photos are rendered twice.
// expect fail: rendered 6 photos and 3 descriptions for 3 products
//! A furniture shop exports its catalog as printable pages, one per product. A page needs the
//! product's photo, rendered from its 3D model (`render_photo`), and its description, laid out
//! from the product's data (`describe`). Both are CPU work, and both run on the export's rayon
//! pool, `pool`, which the shop sizes to its server: often one or two threads.
//!
//! Done when: `export_catalog` returns one page per product, in the catalog's order, with that
//! product's photo and description, each rendered exactly once and on `pool`, pages rendered in
//! parallel; and it finishes whatever the pool's size, a single thread included.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

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
                let (send_photo, photo) = mpsc::channel();
                let render = Arc::clone(&render_photo);
                let for_photo = product.clone();
                pool.spawn(move || {
                    let _ = send_photo.send(render(&for_photo));
                });
                let description = describe(product);
                // Never wait forever: if the job is late, render the photo here.
                let photo = photo
                    .recv_timeout(Duration::from_millis(100))
                    .unwrap_or_else(|_| render_photo(product));
                Page {
                    sku: product.sku,
                    photo,
                    description,
                }
            })
            .collect()
    })
}
