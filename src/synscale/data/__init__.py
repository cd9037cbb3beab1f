"""Datasets of labelled images, nested subsets, shards and manifests."""
