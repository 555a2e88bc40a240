//! A furniture shop exports its catalog as printable pages, one per product. A page needs the
//! product's photo, rendered from its 3D model (`render_photo`), and its description, laid out
//! from the product's data (`describe`). Both are CPU work, and both run on the export's rayon
//! pool, `pool`, which the shop sizes to its server: often one or two threads.
//!
//! Done when: `export_catalog` returns one page per product, in the catalog's order, with that
//! product's photo and description, each rendered exactly once and on `pool`, pages rendered in
//! parallel; and it finishes whatever the pool's size, a single thread included.

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
    pool.install(|| {
        products
            .par_iter()
            .map(|product| {
                // `join` leaves the description where another thread of the pool can take it
                // and renders the photo right here. If nobody took the description, this
                // thread runs it next itself; if somebody did, this thread works on other jobs
                // of the pool while it waits. A thread of the pool never just sits blocked, so
                // the pool cannot deadlock, whatever its size.
                let (photo, description) =
                    rayon::join(|| render_photo(product), || describe(product));
                Page {
                    sku: product.sku,
                    photo,
                    description,
                }
            })
            .collect()
    })
}
