"""CLIP on real, synthetic and mixed image-text pairs with zero-shot evaluation (paper 5,
Figure 8, Table 1); docs/clip.md. ``pairs`` (pair sets and their sources), ``synthetic`` (one
generated image per caption), ``models`` (open_clip configs), ``train``, ``zeroshot``, ``data``
(real / syn / mix), ``runs`` (curves, runs, the store), ``curves`` (fits and tables)."""
