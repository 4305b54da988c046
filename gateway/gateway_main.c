/* stsipgateway: placeholder main until the daemon modules land. */
#include "config.h"

int main(void);

int
main(void)
{
	return 1;
}
