//! Wrong fix: renders each page's photo and description side by side with rayon::join, but
//! pushes the pages into a shared Vec as they are done: the catalog's order is lost.
// expect fail: the pages are not in the catalog's order
//! A furniture shop exports its catalog as printable pages, one per product. A page needs the
//! product's photo, rendered from its 3D model (`render_photo`), and its description, laid out
//! from the product's data (`describe`). Both are CPU work, and both run on the export's rayon
//! pool, `pool`, which the shop sizes to its server: often one or two threads.
//!
//! Done when: `export_catalog` returns one page per product, in the catalog's order, with that
//! product's photo and description, each rendered exactly once and on `pool`, pages rendered in
//! parallel; and it finishes whatever the pool's size, a single thread included.

use std::sync::Mutex;

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
    let pages = Mutex::new(Vec::with_capacity(products.len()));
    pool.install(|| {
        products.par_iter().for_each(|product| {
            // `join` renders the description alongside the photo, and never leaves this thread
            // idle while it waits.
            let (photo, description) = rayon::join(|| render_photo(product), || describe(product));
            pages.lock().expect("a page panicked").push(Page {
                sku: product.sku,
                photo,
                description,
            });
        })
    });
    pages.into_inner().expect("a page panicked")
}
