import { ChakraProvider } from '@chakra-ui/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { system } from '@/app/theme';
import { RealtimeProvider } from '@/lib/realtime/react';
import { FakeTransport } from './fake-transport';

/** Render inside the app's providers, with a fake realtime transport and a fresh query cache. */
export function renderWithProviders(
  ui: ReactElement,
  {
    route = '/',
    transport = new FakeTransport(),
  }: { route?: string; transport?: FakeTransport } = {},
) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  const result = render(
    <ChakraProvider value={system}>
      <QueryClientProvider client={queryClient}>
        <RealtimeProvider transport={transport}>
          <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
        </RealtimeProvider>
      </QueryClientProvider>
    </ChakraProvider>,
  );
  return { ...result, transport, queryClient };
}
