import { MutationCache, QueryClient } from '@tanstack/react-query';
import { toaster } from '@/components/toaster';
import { ApiError } from '@/lib/api';

// One global mutation error handler: every failed action says what went wrong in a toast.
export const createQueryClient = () =>
  new QueryClient({
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (mutation.meta?.silent === true) return;
        toaster.create({
          type: 'error',
          title: (mutation.meta?.errorTitle as string | undefined) ?? 'That did not work',
          description: error instanceof ApiError ? error.message : String(error),
          closable: true,
        });
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (count, error) =>
          count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
    },
  });
