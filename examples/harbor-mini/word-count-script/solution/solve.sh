#!/bin/bash
printf '#!/bin/sh\nwc -w < "$1" | tr -d " "\n' > /app/wc.sh
chmod +x /app/wc.sh
