"""Container registries: what every backend yields and can do (`model`), opening one (`backends`),
Distribution on Blob read from storage (`distribution`) and its GC (`distribution_gc`), deletes by
name (`delete`) and retention like `acr purge` (`purge`). The ACR client itself is aztui.azure.acr."""
