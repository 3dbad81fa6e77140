// The browse page script (replaced by the browse page work).
