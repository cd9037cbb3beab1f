"""The generation stage, apart from the backends: ``plan`` (every image's prompt, seed, batch and
shard), ``render`` (one batch -> PNG bytes: the unit of work every engine runs), ``dataset`` (a
plan -> WebDataset shards, manifest and card, resumable) and ``regenerate`` (remake one image).

The engines import ``plan`` and ``render`` only; ``dataset`` and ``regenerate`` import the
engines. No backend imports this package.
"""
