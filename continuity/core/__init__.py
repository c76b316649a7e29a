"""The pure routing core: plain data in, an ordered route plan out. No I/O."""
