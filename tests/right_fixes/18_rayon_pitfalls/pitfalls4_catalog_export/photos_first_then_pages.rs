//! Correct alternative: two parallel passes, all photos first, then the pages: nothing ever waits for a queued job.
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
        // Every photo, in parallel; `collect` keeps the catalog's order.
        let photos: Vec<String> = products.par_iter().map(&render_photo).collect();
        // Then every page, pairing each product with its photo.
        products
            .par_iter()
            .zip(photos)
            .map(|(product, photo)| Page {
                sku: product.sku,
                photo,
                description: describe(product),
            })
            .collect()
    })
}
