//! Wrong fix: queues the photos on a bigger helper pool built for the export, so the page's
//! waiting thread always has a helper to render its photo: it finishes, off `pool`.
// expect fail: on a rayon pool export_catalog built for itself
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
    // Helpers for the photos: the pages' threads wait, but a helper is always free.
    let helpers = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("could not start the photo pool");
    let render_photo = Arc::new(render_photo);
    pool.install(|| {
        products
            .par_iter()
            .map(|product| {
                let (send_photo, photo) = mpsc::channel();
                let render = Arc::clone(&render_photo);
                let for_photo = product.clone();
                helpers.spawn(move || {
                    let _ = send_photo.send(render(&for_photo));
                });
                let description = describe(product);
                Page {
                    sku: product.sku,
                    photo: photo.recv().expect("the photo job panicked"),
                    description,
                }
            })
            .collect()
    })
}
