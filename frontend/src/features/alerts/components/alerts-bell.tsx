import {
  Badge,
  Box,
  Button,
  Circle,
  EmptyState,
  HStack,
  IconButton,
  Link,
  Popover,
  Portal,
  Stack,
  Text,
} from '@chakra-ui/react';
import { useEffect, useState } from 'react';
import {
  LuBell,
  LuBellOff,
  LuShieldAlert,
  LuSiren,
  LuTimer,
  LuTriangleAlert,
} from 'react-icons/lu';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import { toaster } from '@/components/toaster';
import { useRealtimeTopic } from '@/lib/realtime/react';
import { type Alert, type AlertItem, useAlertsStore, useUnreadCount } from '../hooks/alerts-store';

const KIND: Record<
  Alert['kind'],
  { title: string; toast: 'error' | 'warning' | 'info'; palette: string; icon: typeof LuBell }
> = {
  safety: { title: 'Safety alert', toast: 'error', palette: 'red', icon: LuSiren },
  ai_failure: {
    title: 'The AI could not answer',
    toast: 'warning',
    palette: 'orange',
    icon: LuTriangleAlert,
  },
  injection: {
    title: 'Possible prompt injection',
    toast: 'warning',
    palette: 'purple',
    icon: LuShieldAlert,
  },
  escalation: { title: 'A draft waited too long', toast: 'info', palette: 'blue', icon: LuTimer },
};

const link = (alert: Alert) => `/agent/conversations/${alert.conversation_id}`;

function since(at: number, now: number) {
  const s = Math.max(0, Math.floor((now - at) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Live alerts of the tenant: a toast when one is raised, and a bell with the recent ones. */
export function AlertsBell({ tenantId }: { tenantId: string }) {
  const navigate = useNavigate();
  const add = useAlertsStore((s) => s.add);
  const items = useAlertsStore((s) => s.items);
  const markAllRead = useAlertsStore((s) => s.markAllRead);
  const clear = useAlertsStore((s) => s.clear);
  const unread = useUnreadCount();
  const [open, setOpen] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  useRealtimeTopic(`tenant:${tenantId}:queue`, (event) => {
    if (event.type !== 'alert.raised') return;
    const item = add(event.alert);
    if (open) markAllRead(); // seen right away in the open list
    const kind = KIND[item.kind];
    toaster.create({
      type: kind.toast,
      title: kind.title,
      description: `${item.summary} (conversation #${item.conversation_id.slice(0, 6).toUpperCase()})`,
      closable: true,
      duration: item.kind === 'safety' ? 15_000 : 8_000,
      action: { label: 'Open', onClick: () => navigate(link(item)) },
    });
  });

  // opening the list marks everything in it read
  useEffect(() => {
    if (open) markAllRead();
  }, [open, markAllRead]);
  useEffect(() => {
    if (!open) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, [open]);

  const label = unread > 0 ? `Alerts, ${unread} unread` : 'Alerts';
  return (
    <Popover.Root
      open={open}
      onOpenChange={(e) => setOpen(e.open)}
      positioning={{ placement: 'bottom-end' }}
    >
      <Popover.Trigger asChild>
        <IconButton aria-label={label} variant="ghost" size="sm" position="relative">
          <LuBell />
          {unread > 0 && (
            <Circle
              size="4.5"
              minW="4.5"
              bg="red.solid"
              color="red.contrast"
              fontSize="2xs"
              fontWeight="bold"
              position="absolute"
              top="0"
              right="0"
              data-testid="alerts-unread"
              aria-hidden
            >
              {unread > 9 ? '9+' : unread}
            </Circle>
          )}
        </IconButton>
      </Popover.Trigger>
      <Portal>
        <Popover.Positioner>
          <Popover.Content
            w={{ base: 'calc(100vw - 24px)', sm: '96' }}
            maxH="70vh"
            overflow="hidden"
          >
            <HStack justify="space-between" px="4" py="2.5" borderBottomWidth="1px">
              <Popover.Title fontWeight="semibold" fontSize="sm">
                Alerts
              </Popover.Title>
              {items.length > 0 && (
                <Button size="2xs" variant="ghost" onClick={clear}>
                  Clear all
                </Button>
              )}
            </HStack>
            <Box overflowY="auto" maxH="calc(70vh - 44px)">
              {items.length === 0 ? (
                <EmptyState.Root size="sm" py="8">
                  <EmptyState.Content>
                    <EmptyState.Indicator>
                      <LuBellOff />
                    </EmptyState.Indicator>
                    <EmptyState.Title fontSize="sm">No alerts</EmptyState.Title>
                    <EmptyState.Description fontSize="xs" textAlign="center">
                      Safety messages, AI failures and drafts waiting too long show up here.
                    </EmptyState.Description>
                  </EmptyState.Content>
                </EmptyState.Root>
              ) : (
                <Stack as="ul" gap="0" listStyleType="none" aria-label="Recent alerts">
                  {items.map((item) => (
                    <AlertRow key={item.id} item={item} now={now} onOpen={() => setOpen(false)} />
                  ))}
                </Stack>
              )}
            </Box>
          </Popover.Content>
        </Popover.Positioner>
      </Portal>
    </Popover.Root>
  );
}

function AlertRow({ item, now, onOpen }: { item: AlertItem; now: number; onOpen: () => void }) {
  const kind = KIND[item.kind];
  const Icon = kind.icon;
  return (
    <Box
      as="li"
      px="4"
      py="3"
      borderBottomWidth="1px"
      _last={{ borderBottomWidth: 0 }}
      data-testid="alert-item"
      data-kind={item.kind}
    >
      <HStack align="start" gap="3">
        <Circle
          size="8"
          bg={`${kind.palette}.subtle`}
          color={`${kind.palette}.fg`}
          flexShrink={0}
          aria-hidden
        >
          <Icon />
        </Circle>
        <Stack gap="1" minW="0" flex="1">
          <HStack justify="space-between" gap="2">
            <Badge colorPalette={kind.palette} variant="subtle" size="sm">
              {kind.title}
            </Badge>
            <Text fontSize="xs" color="fg.subtle" flexShrink={0}>
              {since(item.at, now)}
            </Text>
          </HStack>
          <Text fontSize="sm">{item.summary}</Text>
          {item.detail && (item.kind === 'ai_failure' || item.kind === 'injection') && (
            <Text fontSize="xs" color="fg.muted" fontFamily="mono" wordBreak="break-word">
              {item.detail}
            </Text>
          )}
          <Link asChild fontSize="xs" color="brand.fg" fontWeight="medium">
            <RouterLink to={link(item)} onClick={onOpen}>
              Open the conversation #{item.conversation_id.slice(0, 6).toUpperCase()}
            </RouterLink>
          </Link>
        </Stack>
      </HStack>
    </Box>
  );
}
