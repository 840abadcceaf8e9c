"""Container registries: what every backend yields and can do (`model`), opening one (`backends`),
Distribution on Blob read from storage (`distribution`) and its GC (`distribution_gc`), deletes by
name (`delete`) and retention like `acr purge` (`purge`; on Distribution storage: `distribution_purge`),
images as users think of them (`images`: platforms, sizes, referrers) and GC/purge plans as the
pane reviews them (`review`). The ACR client itself is aztui.azure.acr."""
