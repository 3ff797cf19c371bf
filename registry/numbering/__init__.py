"""Gap-free numbers: filing numbers, correction-notice numbers and camera-code serials."""
