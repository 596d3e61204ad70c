"""HTTP face of the emulator: fal's run, queue, REST and CDN hosts under one origin."""
