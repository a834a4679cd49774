"""The engine; read it in this order: ``modes`` (grad mode), ``function`` (the op contract),
``rules`` (the course's ops), ``engine`` (the chain rule), ``tensor`` (Tensor, operators)."""
