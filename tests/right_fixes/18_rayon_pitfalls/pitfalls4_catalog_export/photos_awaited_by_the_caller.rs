//! Correct alternative: every photo queued on the pool first, the descriptions laid out in parallel, and the photos awaited by the caller, outside the pool.
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
    // Queued from the caller's thread, the photo jobs wait for any free thread of the pool.
    let render_photo = Arc::new(render_photo);
    let photos: Vec<mpsc::Receiver<String>> = products
        .iter()
        .map(|product| {
            let (send_photo, photo) = mpsc::channel();
            let (render, for_photo) = (Arc::clone(&render_photo), product.clone());
            pool.spawn(move || {
                let _ = send_photo.send(render(&for_photo));
            });
            photo
        })
        .collect();
    let descriptions: Vec<String> = pool.install(|| products.par_iter().map(&describe).collect());
    // Only the caller waits for the photos: it is no thread of the pool, so every queued photo
    // still has the pool's threads to run on.
    products
        .iter()
        .zip(photos)
        .zip(descriptions)
        .map(|((product, photo), description)| Page {
            sku: product.sku,
            photo: photo.recv().expect("the photo job panicked"),
            description,
        })
        .collect()
}
