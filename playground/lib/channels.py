"""Channels helpers shared by consumers."""

from __future__ import annotations

# A channel layer alias configured nowhere: a consumer that sets `channel_layer_alias` to it
# gets no layer (channels' get_channel_layer answers None), so it holds no Redis connection
# and no blocking receive. For sockets that never join a group.
NO_CHANNEL_LAYER = "none: this consumer joins no group"
